import { isIP, isIPv4 } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Where alert notifications may be sent. A webhook URL is someone's input turned into a request
 * from inside our network (SSRF): it must name a public address unless the operator allows the
 * network (NOTIFICATION_ALLOWED_NETWORKS). Host names are checked here only when they are IP
 * literals or localhost; what a name resolves to is checked at connect time (http-post.ts).
 */
export interface DestinationPolicy {
  /** CIDRs (IPv4 or IPv6) that may be reached though not public. */
  allowedNetworks: readonly string[];
}

export const MAX_WEBHOOK_URL_LENGTH = 2048;

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = ReturnType<ipaddr.IPv4['range']> | ReturnType<ipaddr.IPv6['range']>;

/** How a message names each class of address ipaddr.js knows. */
const RANGE_NAMES: Record<Range, string> = {
  unicast: 'a public address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  reserved: 'a reserved address',
  benchmarking: 'a benchmarking address',
  amt: 'an AMT relay address',
  broadcast: 'the broadcast address',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private address',
  as112: 'an AS112 (DNS sink) address',
  uniqueLocal: 'a unique local address',
  ipv4Mapped: 'an IPv4-mapped address',
  rfc6145: 'an IPv4-translated address',
  rfc6052: 'a NAT64 address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
  as112v6: 'an AS112 (DNS sink) address',
  orchid2: 'an ORCHIDv2 address',
  droneRemoteIdProtocolEntityTags: 'a drone remote ID address',
};

/**
 * IANA allocates IPv6 global unicast only from 2000::/3; ipaddr.js calls any address missing from
 * its table unicast, even outside it.
 */
const IPV6_GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3');

/**
 * The class of an address: ipaddr.js's range of it, of the IPv4 address inside an IPv4-mapped
 * one, except that IPv6 outside 2000::/3 is reserved. That catches the IPv4-compatible
 * `::a.b.c.d` form WHATWG writes as `[::7f00:1]`, which ipaddr.js takes for unicast, and which
 * a host with a 6in4 tunnel would send to the IPv4 address.
 */
function rangeOf(address: Address): string {
  const unmapped = ipaddr.process(address.toString());
  const range: string = unmapped.range();
  if (range === 'unicast' && unmapped.kind() === 'ipv6' && !unmapped.match(IPV6_GLOBAL_UNICAST)) {
    return 'reserved';
  }
  return range;
}

function describeRange(range: string): string {
  return RANGE_NAMES[range as Range] ?? `a ${range} address`;
}

/** Whether `address` lies in `cidr`; an invalid CIDR holds nothing (the config refuses them). */
function inNetwork(address: Address, cidr: string): boolean {
  if (!ipaddr.isValidCIDR(cidr)) return false;
  const network = ipaddr.parseCIDR(cidr);
  return network[0].kind() === address.kind() && address.match(network);
}

/** Whether an address, as written or as the IPv4 address it maps, lies in an allowed network. */
function inAllowedNetwork(address: Address, policy: DestinationPolicy): boolean {
  const unmapped = ipaddr.process(address.toString());
  return policy.allowedNetworks.some(
    (cidr) => inNetwork(address, cidr) || inNetwork(unmapped, cidr),
  );
}

/** Whether an address (already resolved) may be reached under the policy. */
export function addressAllowed(address: string, policy: DestinationPolicy): boolean {
  // ipaddr.js also reads odd forms (`127.1`, `0x7f.0.0.1`); a resolved address never has them.
  if (isIP(address) === 0) return false;
  const parsed = ipaddr.parse(address);
  return rangeOf(parsed) === 'unicast' || inAllowedNetwork(parsed, policy);
}

const UNLESS_ALLOWED = 'only public addresses are allowed unless NOTIFICATION_ALLOWED_NETWORKS';

/** Why the URL's host cannot be reached under the policy, or null. */
function hostProblem(hostname: string, policy: DestinationPolicy): string | null {
  // WHATWG has already normalised IPv4 in any form (2130706433, 0x7f.1) to dotted decimal and
  // brackets IPv6; anything else is a name.
  const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (hostname.startsWith('[') || isIPv4(hostname)) {
    const address = ipaddr.parse(literal);
    const range = rangeOf(address);
    if (range === 'unicast' || inAllowedNetwork(address, policy)) return null;
    const unmapped = ipaddr.process(literal).toString();
    const shown = unmapped === address.toString() ? literal : `${literal} (${unmapped})`;
    return `${shown} is ${describeRange(range)}; ${UNLESS_ALLOWED} includes it`;
  }
  // Resolvers answer loopback for these without asking DNS (RFC 6761).
  const name = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (name === 'localhost' || name.endsWith('.localhost')) {
    if (addressAllowed('127.0.0.1', policy) || addressAllowed('::1', policy)) return null;
    return `${hostname} is a loopback name; ${UNLESS_ALLOWED} includes 127.0.0.1 or ::1`;
  }
  return null;
}

/** Why this webhook URL cannot be a destination, or null when it can. */
export function webhookUrlProblem(url: string, policy: DestinationPolicy): string | null {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) {
    return `the URL has ${url.length} characters; at most ${MAX_WEBHOOK_URL_LENGTH} are allowed`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `the scheme must be http or https, not ${parsed.protocol.slice(0, -1)}`;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return (
      'the URL must not contain a user name or password: it would be stored and shown in clear ' +
      'with the webhook'
    );
  }
  if (parsed.hostname === '') return 'the URL has no host';
  return hostProblem(parsed.hostname, policy);
}

/** Why `cidr` cannot be an entry of NOTIFICATION_ALLOWED_NETWORKS, or null when it can. */
export function cidrProblem(cidr: string): string | null {
  const shown = JSON.stringify(cidr);
  const parts = cidr.split('/');
  if (parts.length !== 2) {
    return `${shown} is not a CIDR: write an address and a prefix length, e.g. 10.0.0.0/8 or fd00::/8`;
  }
  const [address = '', prefix = ''] = parts;
  // Only the usual spellings: ipaddr.js would also take `10/8` and `0x7f.0.0.0/8`, and a zone.
  let bits: number;
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) {
    bits = 32;
  } else if (ipaddr.IPv6.isValid(address) && !address.includes('%')) {
    bits = 128;
  } else {
    return `${shown}: ${JSON.stringify(address)} is not an IPv4 or IPv6 address`;
  }
  if (!/^(0|[1-9]\d{0,2})$/.test(prefix) || Number(prefix) > bits) {
    return `${shown}: the prefix length must be a whole number from 0 to ${bits}`;
  }
  const network =
    bits === 32
      ? ipaddr.IPv4.networkAddressFromCIDR(cidr)
      : ipaddr.IPv6.networkAddressFromCIDR(cidr);
  if (network.toString() !== ipaddr.parse(address).toString()) {
    return `${shown} has bits set beyond its /${prefix} prefix: write ${network.toString()}/${prefix}`;
  }
  return null;
}
