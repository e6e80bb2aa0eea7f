import { describe, expect, it } from 'vitest';
import {
  addressAllowed,
  cidrProblem,
  MAX_WEBHOOK_URL_LENGTH,
  webhookUrlProblem,
  type DestinationPolicy,
} from './destination.js';

const strict: DestinationPolicy = { allowedNetworks: [] };
/** What the tests run with: the receivers they start listen on loopback. */
const loopback: DestinationPolicy = { allowedNetworks: ['127.0.0.0/8', '::1/128'] };

/** [URL, the problem under the strict policy (a pattern), or null when it is accepted]. */
const cases: [string, RegExp | null][] = [
  ['https://hooks.example.com/alerts?token=abc', null],
  ['http://93.184.216.34:8080/hook', null],
  ['https://[2606:4700:4700::1111]/hook', null],
  ['https://[::ffff:8.8.8.8]/', null],
  ['http://10.1.2.3/', /^10\.1\.2\.3 is a private address; only public addresses/],
  ['http://172.16.0.1/', /^172\.16\.0\.1 is a private address/],
  ['http://172.31.255.254/', /^172\.31\.255\.254 is a private address/],
  ['http://192.168.1.1/', /^192\.168\.1\.1 is a private address/],
  [
    'http://127.0.0.1/',
    /^127\.0\.0\.1 is a loopback address; only public addresses are allowed unless NOTIFICATION_ALLOWED_NETWORKS includes it$/,
  ],
  ['http://127.255.0.9/', /^127\.255\.0\.9 is a loopback address/],
  ['http://169.254.169.254/latest/meta-data/', /^169\.254\.169\.254 is a link-local address/],
  ['http://[fe80::1]/', /^fe80::1 is a link-local address/],
  ['http://[fc00::1]/', /^fc00::1 is a unique local address/],
  ['http://[fd12:3456::1]/', /^fd12:3456::1 is a unique local address/],
  ['http://[::1]/', /^::1 is a loopback address/],
  ['http://[::ffff:127.0.0.1]/', /^::ffff:7f00:1 \(127\.0\.0\.1\) is a loopback address/],
  ['http://[::ffff:10.0.0.1]/', /^::ffff:a00:1 \(10\.0\.0\.1\) is a private address/],
  ['http://[::127.0.0.1]/', /^::7f00:1 is a reserved address/],
  ['http://[::]/', /^:: is an unspecified address/],
  ['http://0.0.0.0/', /^0\.0\.0\.0 is an unspecified address/],
  ['http://100.64.0.1/', /^100\.64\.0\.1 is a carrier-grade NAT address/],
  ['http://224.0.0.1/', /^224\.0\.0\.1 is a multicast address/],
  ['http://[ff02::1]/', /^ff02::1 is a multicast address/],
  ['http://255.255.255.255/', /^255\.255\.255\.255 is the broadcast address/],
  ['http://240.0.0.1/', /^240\.0\.0\.1 is a reserved address/],
  ['http://[64:ff9b::a00:1]/', /^64:ff9b::a00:1 is a NAT64 address/],
  ['http://2130706433/', /^127\.0\.0\.1 is a loopback address/],
  ['http://0x7f.1/', /^127\.0\.0\.1 is a loopback address/],
  ['http://0177.0.0.1:9000/', /^127\.0\.0\.1 is a loopback address/],
  ['http://%31%32%37.0.0.1/', /^127\.0\.0\.1 is a loopback address/],
  [
    'http://localhost:3000/',
    /^localhost is a loopback name; only public addresses are allowed unless NOTIFICATION_ALLOWED_NETWORKS includes 127\.0\.0\.1 or ::1$/,
  ],
  ['http://LOCALHOST./', /^localhost\. is a loopback name/],
  ['http://sub.localhost/', /^sub\.localhost is a loopback name/],
  ['http://notlocalhost.example/', null],
  ['ftp://example.com/hook', /^the scheme must be http or https, not ftp$/],
  ['javascript:alert(1)', /^the scheme must be http or https, not javascript$/],
  ['file:///etc/passwd', /^the scheme must be http or https, not file$/],
  [
    'https://user:secret@example.com/',
    /^the URL must not contain a user name or password: it would be stored and shown/,
  ],
  ['https://token@example.com/', /must not contain a user name or password/],
  ['/relative/path', /^not a valid absolute URL$/],
  ['http://999.1.1.1/', /^not a valid absolute URL$/],
  ['', /^not a valid absolute URL$/],
  [
    `https://example.com/${'a'.repeat(MAX_WEBHOOK_URL_LENGTH)}`,
    /^the URL has 2068 characters; at most 2048 are allowed$/,
  ],
];

describe('webhookUrlProblem', () => {
  it.each(cases)('%s', (url, expected) => {
    const problem = webhookUrlProblem(url, strict);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it('accepts a URL of exactly the maximum length', () => {
    const url = 'https://example.com/';
    expect(webhookUrlProblem(url + 'a'.repeat(MAX_WEBHOOK_URL_LENGTH - url.length), strict)).toBe(
      null,
    );
  });

  it.each([
    ['http://127.0.0.1:8080/', loopback],
    ['http://[::1]:8080/', loopback],
    ['http://localhost:8080/', loopback],
    ['http://api.localhost/', { allowedNetworks: ['::1/128'] }],
    ['http://[::ffff:127.0.0.1]/', loopback],
    ['http://2130706433/', loopback],
    ['http://10.20.30.40/', { allowedNetworks: ['10.0.0.0/8'] }],
    ['http://[::ffff:10.20.30.40]/', { allowedNetworks: ['10.0.0.0/8'] }],
    ['http://[fd00::5]/', { allowedNetworks: ['fd00::/8'] }],
    ['http://169.254.169.254/', { allowedNetworks: ['169.254.169.254/32'] }],
  ])('accepts %s inside an allowed network', (url, policy) => {
    expect(webhookUrlProblem(url, policy)).toBeNull();
  });

  it.each([
    ['http://10.0.0.1/', loopback],
    ['http://192.168.0.1/', { allowedNetworks: ['10.0.0.0/8'] }],
    ['http://localhost/', { allowedNetworks: ['10.0.0.0/8'] }],
    ['http://[fe80::1]/', { allowedNetworks: ['fd00::/8'] }],
  ])('refuses %s outside the allowed networks', (url, policy) => {
    expect(webhookUrlProblem(url, policy)).toMatch(/only public addresses are allowed/);
  });
});

describe('addressAllowed', () => {
  it.each([
    ['93.184.216.34', strict, true],
    ['2606:4700:4700::1111', strict, true],
    ['127.0.0.1', strict, false],
    ['127.0.0.1', loopback, true],
    ['::1', loopback, true],
    ['::ffff:127.0.0.1', loopback, true],
    ['::ffff:127.0.0.1', strict, false],
    ['10.0.0.1', loopback, false],
    ['fe80::1%eth0', strict, false],
    ['0.0.0.0', strict, false],
    // Not an address as a resolver gives it: ipaddr.js would read 127.0.0.1.
    ['127.1', loopback, false],
    ['example.com', strict, false],
    ['', strict, false],
  ])('%s → %s', (address, policy, allowed) => {
    expect(addressAllowed(address, policy)).toBe(allowed);
  });

  it('ignores an invalid CIDR instead of throwing', () => {
    expect(addressAllowed('10.0.0.1', { allowedNetworks: ['10.0.0.0/99', 'nonsense'] })).toBe(
      false,
    );
  });
});

describe('cidrProblem', () => {
  it.each([
    '10.0.0.0/8',
    '127.0.0.0/8',
    '0.0.0.0/0',
    '192.168.1.7/32',
    '::1/128',
    'fd00::/8',
    '::/0',
  ])('accepts %s', (cidr) => {
    expect(cidrProblem(cidr)).toBeNull();
  });

  it.each([
    ['10.0.0.0', /^"10\.0\.0\.0" is not a CIDR: write an address and a prefix length/],
    ['10.0.0.0/8/8', /is not a CIDR/],
    ['10/8', /^"10\/8": "10" is not an IPv4 or IPv6 address$/],
    ['0x7f.0.0.0/8', /"0x7f\.0\.0\.0" is not an IPv4 or IPv6 address/],
    ['010.0.0.0/8', /"010\.0\.0\.0" is not an IPv4 or IPv6 address/],
    ['fe80::%eth0/64', /is not an IPv4 or IPv6 address/],
    [' 10.0.0.0/8', /^" 10\.0\.0\.0\/8": " 10\.0\.0\.0" is not an IPv4 or IPv6 address$/],
    ['10.0.0.0/33', /^"10\.0\.0\.0\/33": the prefix length must be a whole number from 0 to 32$/],
    ['::/129', /from 0 to 128$/],
    ['10.0.0.0/', /the prefix length must be/],
    ['10.0.0.0/08', /the prefix length must be/],
    ['10.1.2.3/8', /^"10\.1\.2\.3\/8" has bits set beyond its \/8 prefix: write 10\.0\.0\.0\/8$/],
    ['fd00::1/8', /write fd00::\/8$/],
  ])('refuses %s', (cidr, expected) => {
    expect(cidrProblem(cidr)).toMatch(expected);
  });
});
