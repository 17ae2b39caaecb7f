// The string formats protoc-gen-validate names instead of spelling out as a pattern.
import { isIP } from 'node:net';

// protoc-gen-validate's own patterns for KnownRegex. `+-.` in the strict header-name class is a
// range (it also admits `,`); kept as PGV has it, since that is what Envoy enforces.
const strictHeaderName = /^:?[0-9a-zA-Z!#$%&'*+-.^_|~`]+$/;
const strictHeaderValue = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;
const looseHeader = /^[^\u0000\u000A\u000D]*$/;

export function matchesKnownRegex(name: string, value: string, strict: boolean): boolean | undefined {
  if (name === 'HTTP_HEADER_NAME') return (strict ? strictHeaderName : looseHeader).test(value);
  if (name === 'HTTP_HEADER_VALUE') return (strict ? strictHeaderValue : looseHeader).test(value);
  return undefined;
}

const hostnameLabel = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** RFC 1034 host name as PGV checks it: dot-separated labels, one trailing dot allowed. */
export function isHostname(value: string): boolean {
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  return name.length > 0 && name.length <= 253 && name.split('.').every((label) => hostnameLabel.test(label));
}

/** Checks of the `well_known` oneof of StringRules; names missing here are not implemented. */
export const stringFormats: Readonly<Record<string, (value: string) => boolean>> = {
  hostname: isHostname,
  ip: (value) => isIP(value) !== 0,
  ipv4: (value) => isIP(value) === 4,
  ipv6: (value) => isIP(value) === 6,
  address: (value) => isIP(value) !== 0 || isHostname(value),
};
