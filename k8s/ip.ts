// IP literals as the model needs them: checked against a family, written one canonical
// way (so "2001:db8::1" and "2001:0db8::1" de-duplicate), and ordered numerically.
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 'IPv4' | 'IPv6';

/**
 * The canonical form of `text` if it is an IP literal of `family`, else undefined. It takes
 * what the API server takes (k8s.io/utils/net.ParseIPSloppy, Go's parser before 1.17): IPv4
 * octets with leading zeros, read as decimal ("010.0.0.1" is 10.0.0.1), and in an IPv4 slice
 * an IPv4-mapped IPv6 address ("::ffff:10.0.0.1"), which Go reads as the IPv4 address.
 */
export function canonicalIp(text: string, family: IpFamily): string | undefined {
  if (family === 'IPv6') return canonicalIpv6(withDecimalOctets(text));
  if (isIPv4(text)) return text;
  const literal = withDecimalOctets(text);
  return isIPv4(literal) ? literal : mappedIpv4(literal);
}

function canonicalIpv6(text: string): string | undefined {
  // isIPv6 accepts zone ids ("fe80::1%eth0"); an endpoint address never carries one.
  if (!isIPv6(text) || text.includes('%')) return undefined;
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** The IPv4 address an IPv4-mapped IPv6 literal (::ffff:a.b.c.d) stands for. */
function mappedIpv4(text: string): string | undefined {
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonicalIpv6(text) ?? '');
  if (!mapped) return undefined;
  const [high, low] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** A trailing dotted quad (a whole IPv4 address or an IPv6 address's tail) with leading zeros dropped. */
function withDecimalOctets(text: string): string {
  const quad = /(^|:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!quad || !/(^|\.|:)0\d/.test(quad[0])) return text;
  const octets = quad.slice(2).map((digits) => digits.replace(/^0+(?=\d)/, ''));
  return `${text.slice(0, quad.index)}${quad[1]}${octets.join('.')}`;
}

/** Orders canonical addresses of one family by their numeric value. */
export function compareIps(a: string, b: string): number {
  return ipOrder(sortKey)(a, b);
}

/**
 * compareIps, remembering each IPv6 address's sort key: a Service's model sorts the same
 * addresses once per port, and working the keys out on every comparison made a 100-port
 * IPv6 Service with 1,000 endpoints take seconds to build.
 */
export function memoizedIpOrder(): (a: string, b: string) => number {
  const keys = new Map<string, string>();
  return ipOrder((ip) => {
    let key = keys.get(ip);
    if (key === undefined) keys.set(ip, (key = sortKey(ip)));
    return key;
  });
}

function ipOrder(keyOf: (ip: string) => string): (a: string, b: string) => number {
  return (a, b) => {
    if (!a.includes(':') && !b.includes(':')) return ipv4Value(a) - ipv4Value(b);
    const ka = keyOf(a);
    const kb = keyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
}

/** A canonical dotted IPv4 address as a number, without allocating (endpoints are sorted often). */
function ipv4Value(ip: string): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < ip.length; i++) {
    const code = ip.charCodeAt(i);
    if (code === 46 /* . */) {
      value = value * 256 + octet;
      octet = 0;
    } else octet = octet * 10 + code - 48;
  }
  return value * 256 + octet;
}

/** Fixed-width hex of the address bytes, so string order equals numeric order. */
function sortKey(ip: string): string {
  if (!ip.includes(':')) return ip.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0')).join('');
  return expandIpv6(ip)
    .map((group) => group.padStart(4, '0'))
    .join('');
}

function expandIpv6(ip: string): string[] {
  const [head = '', tail] = ip.split('::');
  // Canonical (URL-serialised) IPv6 never embeds a dotted IPv4 tail.
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const zeros = Array.from({ length: 8 - left.length - right.length }, () => '0');
  return [...left, ...zeros, ...right];
}
