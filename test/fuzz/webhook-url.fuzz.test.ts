/**
 * Property-based tests of the webhook URL check (src/notifications/destination.ts), the guard
 * between an organization's input and a request from inside our network (SSRF). No app is
 * started: these are pure functions, fast enough for thousands of runs in a few seconds.
 *
 * Properties:
 * - webhookUrlProblem never throws, whatever the string (any code point, lone surrogates, URLs
 *   with IPv4, IPv6 and odd IPv4 forms as hosts, user info, ports);
 * - a URL it accepts parses, is http(s), carries no credentials, and names as its host either a
 *   name or an IP that ipaddr.js calls unicast or that lies in an allowed network (an oracle
 *   written here from ipaddr.js, not the module's own helpers);
 * - any address in the private, loopback, link-local, shared, multicast and reserved ranges,
 *   written in any form WHATWG reads (dotted, one number, hex, octal, IPv4-mapped IPv6), is
 *   refused naming its address when no network is allowed, and accepted when its range is.
 *
 * Runs with the other fuzzers (`FUZZ_RUNS`, `FUZZ_SEED`/`FUZZ_PATH`, `FUZZ_SURVEY`: see
 * fuzz-support.ts).
 */
import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, it } from 'vitest';
import { webhookUrlProblem, type DestinationPolicy } from '../../src/notifications/destination.js';
import { fuzz, fuzzBudget, Violation } from './fuzz-support.js';

const CIDRS = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '192.168.0.0/16',
  'fd00::/8',
  '169.254.169.254/32',
  '::ffff:0:0/96',
];

const policyArbitrary: fc.Arbitrary<DestinationPolicy> = fc
  .subarray(CIDRS)
  .map((allowedNetworks) => ({ allowedNetworks }));

/** Characters that steer a URL parser, and ones that break strings (lone surrogates, NUL). */
const awkward = fc.constantFrom(
  ...'/\\:@[]%.#?\t\n '.split(''),
  '\u0000',
  '\uD800',
  '\uDFFF',
  '\uFF0E',
  '0x',
  'localhost',
  '::ffff:',
);

const ipHost = fc.oneof(
  fc.ipV4(),
  fc.ipV4Extended(),
  fc.ipV6().map((address) => `[${address}]`),
  fc.ipV4().map((address) => `[::ffff:${address}]`),
);

const anyUrl = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 4 }), awkward), { maxLength: 20 })
    .map((parts) => `http://${parts.join('')}`),
  fc.webUrl({
    validSchemes: ['http', 'https', 'ftp', 'javascript', 'file'],
    withQueryParameters: true,
    withFragments: true,
    authoritySettings: {
      withIPv4: true,
      withIPv6: true,
      withIPv4Extended: true,
      withUserInfo: true,
      withPort: true,
    },
  }),
  fc
    .tuple(fc.constantFrom('http', 'https', 'HTTP', 'hTTps'), ipHost, fc.option(fc.nat(65535)))
    .map(([scheme, host, port]) => `${scheme}://${host}${port === null ? '' : `:${port}`}/hook`),
  fc.string({ minLength: 2030, maxLength: 2070 }).map((path) => `https://example.com/${path}`),
);

/** Whether `address` lies in `cidr` (ipaddr.js refuses to compare IPv4 with IPv6). */
function inCidr(address: ipaddr.IPv4 | ipaddr.IPv6, cidr: string): boolean {
  const network = ipaddr.parseCIDR(cidr);
  return network[0].kind() === address.kind() && address.match(network);
}

function allowedByOracle(literal: string, policy: DestinationPolicy): boolean {
  const address = ipaddr.parse(literal);
  const unmapped = ipaddr.process(literal);
  return (
    unmapped.range() === 'unicast' ||
    policy.allowedNetworks.some((cidr) => inCidr(address, cidr) || inCidr(unmapped, cidr))
  );
}

/** Throws a Violation when `url` was accepted but should not have been. */
function checkAccepted(url: string, policy: DestinationPolicy): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Violation('accepted a URL WHATWG cannot parse', JSON.stringify(url));
  }
  const shown = `${JSON.stringify(url)} under ${JSON.stringify(policy.allowedNetworks)}`;
  if (url.length > 2048) throw new Violation('accepted a URL over 2048 characters', shown);
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Violation('accepted a scheme other than http(s)', shown);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new Violation('accepted a URL with credentials', shown);
  }
  const host = parsed.hostname;
  if (host.startsWith('[') || isIPv4(host)) {
    const literal = host.replace(/^\[|\]$/g, '');
    if (!allowedByOracle(literal, policy)) {
      throw new Violation('accepted an IP that is neither unicast nor allowed', shown);
    }
  }
  const name = host.replace(/\.$/, '');
  if (
    (name === 'localhost' || name.endsWith('.localhost')) &&
    !allowedByOracle('127.0.0.1', policy) &&
    !allowedByOracle('::1', policy)
  ) {
    throw new Violation('accepted localhost though loopback is not allowed', shown);
  }
}

/** Special-purpose ranges no webhook may reach unless allowed; [network, prefix]. */
const IPV4_RANGES: [string, number][] = [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['100.64.0.0', 10],
  ['0.0.0.0', 8],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const IPV6_RANGES: [string, number][] = [
  ['fe80::', 10],
  ['fc00::', 7],
  ['::1', 128],
  ['ff00::', 8],
  ['::', 128],
];

const toInt = (address: string) =>
  ipaddr.IPv4.parse(address).octets.reduce((sum, octet) => sum * 256 + octet, 0);
const toBigInt = (address: string) =>
  ipaddr.IPv6.parse(address).parts.reduce((sum, part) => (sum << 16n) + BigInt(part), 0n);

const dotted = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
const ipv6Text = (n: bigint) =>
  ipaddr.IPv6.parse(
    Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(
      ':',
    ),
  ).toString();

interface SpecialAddress {
  url: string;
  /** How the host appears in a refusal. */
  address: string;
  cidr: string;
}

/** An IPv4 address in a special range, written as WHATWG still reads it. */
const specialIPv4: fc.Arbitrary<SpecialAddress> = fc
  .constantFrom(...IPV4_RANGES)
  .chain(([network, prefix]) =>
    fc.tuple(
      fc.constant(`${network}/${prefix}`),
      fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((offset) => toInt(network) + offset),
      fc.constantFrom('dotted', 'number', 'hex', 'octal', 'mapped'),
    ),
  )
  .map(([cidr, n, form]) => {
    const address = dotted(n);
    const host = {
      dotted: address,
      number: String(n),
      hex: `0x${n.toString(16)}`,
      octal: address
        .split('.')
        .map((octet) => `0${Number(octet).toString(8)}`)
        .join('.'),
      mapped: `[::ffff:${address}]`,
    }[form];
    return { url: `http://${host}:8080/hook`, address, cidr };
  });

const specialIPv6: fc.Arbitrary<SpecialAddress> = fc
  .constantFrom(...IPV6_RANGES)
  .chain(([network, prefix]) =>
    fc.tuple(
      fc.constant(`${network}/${prefix}`),
      fc
        .bigInt({ min: 0n, max: (1n << BigInt(128 - prefix)) - 1n })
        .map((offset) => toBigInt(network) + offset),
    ),
  )
  .map(([cidr, n]) => {
    const address = ipv6Text(n);
    return { url: `https://[${address}]/hook`, address, cidr };
  });

const strict: DestinationPolicy = { allowedNetworks: [] };

describe('webhook URL fuzzing', () => {
  const anyBudget = fuzzBudget(4_000, 2, 1);
  it(
    'never throws, and accepts only http(s) URLs to names, public or allowed IPs',
    async () => {
      await fuzz(
        'any URL',
        fc.tuple(anyUrl, policyArbitrary),
        async ([url, policy]) => {
          let problem: string | null;
          try {
            problem = webhookUrlProblem(url, policy);
          } catch (error) {
            throw new Violation('webhookUrlProblem threw', `${JSON.stringify(url)}: ${error}`);
          }
          if (problem === null) checkAccepted(url, policy);
        },
        anyBudget,
      );
    },
    anyBudget.timeout,
  );

  const specialBudget = fuzzBudget(2_000, 1, 1);
  it(
    'refuses every special-range address, naming it, unless its range is allowed',
    async () => {
      await fuzz(
        'special addresses',
        fc.oneof(specialIPv4, specialIPv6),
        async ({ url, address, cidr }) => {
          const refusal = webhookUrlProblem(url, strict);
          if (refusal === null) throw new Violation('accepted a special address', url);
          if (!refusal.includes(address) || !/ is (a|an|the) [\w -]+ address; /.test(refusal)) {
            throw new Violation('refusal does not name the address and its class', refusal);
          }
          const allowed = webhookUrlProblem(url, { allowedNetworks: [cidr] });
          if (allowed !== null) {
            throw new Violation('refused an address in an allowed network', `${cidr}: ${allowed}`);
          }
        },
        specialBudget,
      );
    },
    specialBudget.timeout,
  );
});
