/**
 * test/support/prometheus.ts against a real Prometheus (Debian's package, installed by
 * scripts/services/prometheus.sh) and a real peer: a node:http server serving a static text
 * exposition that requires a bearer token. Skipped without the binary unless CI=true.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findPrometheus, startPrometheus, type RunningPrometheus } from '../support/prometheus.js';

const prometheusBin = await findPrometheus();

const TOKEN = 'scrape-secret';
const EXPOSITION = [
  '# HELP demo_points_total Points the demo accepted.',
  '# TYPE demo_points_total counter',
  'demo_points_total{outcome="accepted"} 42',
  '',
].join('\n');

describe.skipIf(!prometheusBin)('Prometheus test support (real prometheus)', () => {
  let server: http.Server;
  let address: string;
  let prometheus: RunningPrometheus;
  const seenAuthorizations: (string | undefined)[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seenAuthorizations.push(req.headers.authorization);
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
      } else if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'www-authenticate': 'Bearer' }).end('unauthorized\n');
      } else {
        res
          .writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' })
          .end(EXPOSITION);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    // One Prometheus, three jobs on the same peer: the right token, a wrong one, none.
    prometheus = await startPrometheus({
      binary: prometheusBin!,
      targets: [
        { job: 'demo', address, bearerToken: TOKEN },
        { job: 'demo-wrong-token', address, bearerToken: 'not-the-secret' },
        { job: 'demo-no-token', address },
      ],
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('scrapes the peer with the bearer token and answers queries for its series', async () => {
    const [target] = await prometheus.waitForTarget('demo', 'up');
    expect(target).toMatchObject({ job: 'demo', instance: address, lastError: '' });
    expect(target!.scrapeUrl).toBe(`http://${address}/metrics`);

    const samples = await prometheus.waitFor(
      'demo_points_total{job="demo"}',
      (result) => result.length === 1,
    );
    expect(samples[0]).toMatchObject({
      metric: {
        __name__: 'demo_points_total',
        job: 'demo',
        instance: address,
        outcome: 'accepted',
      },
      value: 42,
    });
    expect((await prometheus.query('up{job="demo"}'))[0]?.value).toBe(1);
    expect(await prometheus.query('sum(demo_points_total)')).toMatchObject([{ value: 42 }]);
    expect(await prometheus.series('demo_points_total')).toEqual([
      { __name__: 'demo_points_total', job: 'demo', instance: address, outcome: 'accepted' },
    ]);
    expect(seenAuthorizations).toContain(`Bearer ${TOKEN}`);
  });

  it('reports a target down when the token is wrong or missing, and stores none of its series', async () => {
    for (const job of ['demo-wrong-token', 'demo-no-token']) {
      const [target] = await prometheus.waitForTarget(job, 'down');
      expect(target!.lastError).toMatch(/401/);
      await prometheus.waitFor(`up{job="${job}"}`, (result) => result[0]?.value === 0);
      expect(await prometheus.query(`demo_points_total{job="${job}"}`)).toEqual([]);
    }
    expect(seenAuthorizations).toContain('Bearer not-the-secret');
    expect(seenAuthorizations).toContain(undefined);
    const jobs = (await prometheus.targets()).map((t) => `${t.job}:${t.health}`).sort();
    expect(jobs).toEqual(['demo-no-token:down', 'demo-wrong-token:down', 'demo:up']);
  });

  it('fails a PromQL error with Prometheus’s message', async () => {
    await expect(prometheus.query('sum(')).rejects.toThrow(/bad_data/);
    await expect(prometheus.query('demo_points_total[1m]')).rejects.toThrow(
      /not an instant vector/,
    );
  });

  it('removes its temp dir and stops answering once stopped', async () => {
    const other = await startPrometheus({
      binary: prometheusBin!,
      targets: [{ job: 'demo', address, bearerToken: TOKEN }],
      scrapeIntervalSeconds: 0.5,
    });
    expect(existsSync(other.configFile)).toBe(true);
    expect(other.url).not.toBe(prometheus.url);
    await other.stop();
    await other.stop();
    expect(existsSync(other.dir)).toBe(false);
    await expect(fetch(`${other.url}/-/ready`)).rejects.toThrow();
  });
});
