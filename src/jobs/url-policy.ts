import ipaddr from 'ipaddr.js';
import { NetlensError } from '../core/errors.js';

/**
 * Which URLs a job may fetch (images) or POST to (callbacks) — the SSRF rules of docs/webhooks.md:
 * http(s) only, no credentials in the URL, and every address the host has must be public unicast.
 * Loopback, private, link-local (the 169.254.169.254 metadata service), CGNAT, multicast, unspecified,
 * reserved and unique-local (fd00:ec2::254) addresses are refused, also when written as IPv4-mapped
 * (::ffff:127.0.0.1), NAT64 or 6to4 IPv6, or as decimal/octal/hex IPv4 (the URL parser normalises
 * those to dotted quads first). `allow` lists CIDR blocks that may be reached anyway.
 */
export type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface UrlPolicy {
  /** Scheme and shape checks; the host's IP when the URL names one (checked too). */
  checkUrl(url: string): { url: URL; host: string; literal?: Address };
  /** Throws url_refused unless the address may be reached. */
  checkAddress(address: string, host: string): Address;
}

/** Explicit names of the cloud metadata services (also covered by their ranges). */
const METADATA = ['169.254.169.254', 'fd00:ec2::254', '169.254.170.2', '100.100.100.200'];

export function createUrlPolicy(allow: readonly string[] = []): UrlPolicy {
  const allowed = allow.map((block) => ipaddr.parseCIDR(block));
  const isAllowed = (address: Address): boolean =>
    allowed.some(([range, bits]) => address.kind() === range.kind() && address.match(range, bits));

  const checkAddress = (text: string, host: string): Address => {
    let address: Address;
    try {
      address = ipaddr.parse(text.replace(/^\[|\]$/g, ''));
    } catch {
      throw refused(host, `'${text}' is not an IP address`);
    }
    const effective = embeddedIPv4(address) ?? address;
    if (isAllowed(effective) || isAllowed(address)) return effective;
    const range = effective.range();
    if (METADATA.includes(effective.toString())) throw refused(host, `${text} is a cloud metadata address`);
    if (range !== 'unicast') throw refused(host, `${text} is a ${range} address`, range);
    return effective;
  };

  return {
    checkAddress,
    checkUrl(text) {
      let url: URL;
      try {
        url = new URL(text);
      } catch {
        throw refused(text, `'${text}' is not an absolute URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw refused(url.host, `only http and https URLs are fetched, not ${url.protocol}`);
      }
      if (url.username !== '' || url.password !== '') {
        throw refused(url.host, 'URLs with credentials (user:password@) are not fetched');
      }
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!ipaddr.isValid(host)) return { url, host };
      return { url, host, literal: checkAddress(host, host) };
    },
  };
}

/** The IPv4 address inside an IPv4-mapped, IPv4-compatible, NAT64 (64:ff9b::/96) or 6to4 IPv6 address. */
function embeddedIPv4(address: Address): ipaddr.IPv4 | undefined {
  if (address.kind() !== 'ipv6') return undefined;
  const v6 = address as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address();
  const parts = v6.parts;
  const tail = (hi: number, lo: number) =>
    ipaddr.fromByteArray([hi >> 8, hi & 255, lo >> 8, lo & 255]) as ipaddr.IPv4;
  const range = v6.range();
  if (range === 'rfc6052' || range === 'rfc6145') return tail(parts[6]!, parts[7]!);
  if (range === '6to4') return tail(parts[1]!, parts[2]!);
  // ::a.b.c.d (IPv4-compatible, deprecated): every leading part zero.
  if (parts.slice(0, 6).every((p) => p === 0) && (parts[6]! !== 0 || parts[7]! > 1)) {
    return tail(parts[6]!, parts[7]!);
  }
  return undefined;
}

function refused(host: string, reason: string, range?: string): NetlensError {
  return new NetlensError('url_refused', `refused to connect to ${host}: ${reason}`, {
    details: { host, ...(range !== undefined && { range }) },
  });
}

/** Where job URLs may go when a host cannot resolve names first (Workers): the same rules on literals. */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host.replace(/^\[|\]$/g, ''));
}
