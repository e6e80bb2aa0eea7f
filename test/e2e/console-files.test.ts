/**
 * How the api serves the web console's files (src/api/console/serve.ts): the page always
 * revalidated and locked down by its Content-Security-Policy, the hashed assets cached for good
 * and precompressed, 304s for what the browser holds, and plain answers for the rest.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { buildConsoleIfStale } from '../support/console-build.js';
import { useEmbeddedApp } from '../support/use-embedded-app.js';

const app = useEmbeddedApp();

describe('console files', () => {
  let assetPath: string;

  beforeAll(() => buildConsoleIfStale());

  it('serves the page at /console/, revalidated, with a strict CSP', async () => {
    const bare = await fetch(`${app.baseUrl}/console`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/console/');

    const page = await fetch(`${app.baseUrl}/console/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    assetPath = /src="(\/console\/assets\/[^"]+\.js)"/.exec(html)![1]!;

    const again = await fetch(`${app.baseUrl}/console/`, {
      headers: { 'if-none-match': page.headers.get('etag')! },
    });
    expect(again.status).toBe(304);
  });

  it('serves the hashed assets immutable, compressed as accepted', async () => {
    const plain = await fetch(`${app.baseUrl}${assetPath}`, {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const body = await plain.text();

    const compressed = await fetch(`${app.baseUrl}${assetPath}`, {
      headers: { 'accept-encoding': 'br' },
    });
    expect(compressed.headers.get('content-encoding')).toBe('br');
    expect(await compressed.text()).toBe(body); // fetch decodes it
  });

  it('answers 404 for a file it does not have and 405 for anything but GET and HEAD', async () => {
    expect((await fetch(`${app.baseUrl}/console/assets/nothing.js`)).status).toBe(404);
    expect((await fetch(`${app.baseUrl}/console/`, { method: 'POST' })).status).toBe(405);
    const head = await fetch(`${app.baseUrl}${assetPath}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
