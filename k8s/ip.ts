// IP literals as the model needs them: checked against a family, written one canonical
// way (so "2001:db8::1" and "2001:0db8::1" de-duplicate), and ordered numerically.
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 'IPv4' | 'IPv6';

/** The canonical form of `text` if it is an IP literal of `family`, else undefined. */
export function canonicalIp(text: string, family: IpFamily): string | undefined {
  if (family === 'IPv4') return isIPv4(text) ? text : undefined;
  // isIPv6 accepts zone ids ("fe80::1%eth0"); an endpoint address never carries one.
  if (!isIPv6(text) || text.includes('%')) return undefined;
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

/** Orders canonical addresses of one family by their numeric value. */
export function compareIps(a: string, b: string): number {
  if (!a.includes(':') && !b.includes(':')) return ipv4Value(a) - ipv4Value(b);
  const ka = sortKey(a);
  const kb = sortKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
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
