import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SecretUnreadableError,
  createSecretSealer,
  newSecretsKey,
  parseSecretsKey,
} from './sealed-secrets.js';

const keyOf = (text: string) => {
  const key = parseSecretsKey(text);
  if ('problem' in key) throw new Error(key.problem);
  return key;
};

describe('sealed secrets', () => {
  const current = keyOf(newSecretsKey());
  const sealer = createSecretSealer({ current });

  it('opens what they seal, whatever the secret, and never store it readable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1 }), async (secret) => {
        const stored = await sealer.seal(secret);
        // A few characters may turn up in any base64 text by chance; a secret's worth may not.
        if (secret.length >= 8) expect(stored).not.toContain(secret);
        expect(sealer.sealedWithCurrentKey(stored)).toBe(true);
        expect(await sealer.open(stored)).toBe(secret);
      }),
    );
  });

  it('seal the same secret differently each time', async () => {
    const secret = 'whsec_dGhpcyBpcyBhIHRlc3Qgc2VjcmV0IG9mIDMyIGJ5dGVzISE=';
    expect(await sealer.seal(secret)).not.toBe(await sealer.seal(secret));
  });

  it('refuse a sealed value that was altered', async () => {
    const stored = await sealer.seal('a routing key');
    const parts = stored.split('.');
    const ciphertext = parts[3]!;
    parts[3] = (ciphertext[0] === 'A' ? 'B' : 'A') + ciphertext.slice(1);
    await expect(sealer.open(parts.join('.'))).rejects.toThrow(SecretUnreadableError);
  });

  it('open with a previous key after a rotation, and say which key is missing otherwise', async () => {
    const next = keyOf(newSecretsKey());
    const stored = await sealer.seal('old secret');
    const rotated = createSecretSealer({ current: next, previous: [current] });
    expect(await rotated.open(stored)).toBe('old secret');
    expect(rotated.sealedWithCurrentKey(stored)).toBe(false);
    const forgotten = createSecretSealer({ current: next });
    await expect(forgotten.open(stored)).rejects.toThrow(/sealed with key \S+, which this process/);
  });

  it('return a value stored in clear by an earlier version as it is', async () => {
    for (const clear of ['whsec_abc+/=', '0123456789abcdef0123456789abcdef', 'a.b.c.d.e']) {
      expect(await sealer.open(clear)).toBe(clear);
      expect(sealer.sealedWithCurrentKey(clear)).toBe(false);
    }
  });

  it('take keys of 32 bytes in base64 or base64url, and refuse anything else', () => {
    const bytes = Buffer.alloc(32, 7);
    expect(keyOf(bytes.toString('base64'))).toEqual(new Uint8Array(bytes));
    expect(keyOf(bytes.toString('base64url'))).toEqual(new Uint8Array(bytes));
    for (const bad of ['', 'short', Buffer.alloc(16).toString('base64'), 'x'.repeat(44)]) {
      expect(parseSecretsKey(bad)).toEqual({ problem: expect.stringContaining('32 random bytes') });
    }
  });
});
