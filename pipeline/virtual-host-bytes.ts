// A Service port's virtual host, encoded once per Service change as an element of
// RouteConfiguration.virtual_hosts (tag, length, message) with every candidate domain: what
// it is in any RouteConfiguration where no other host claims one of its domains, so the
// gateway's and the sidecar's share the bytes. Where some are claimed twice, the element is
// made again from the same bytes with fewer domains: fields are encoded in field number
// order (name 1, domains 2, then the rest), so the domains are one run in the middle.
import { hash } from 'node:crypto';
import protobuf from 'protobufjs/minimal.js';
import { base64urlBits, concatenated, lengthDelimitedHeader } from '../control-plane/resource.ts';
import type { VirtualHostShare } from '../envoy-config/envoy-routes.ts';
import { envoy } from '../generated/envoy.js';

const { VirtualHost } = envoy.config.route.v3;
/** envoy.config.route.v3.RouteConfiguration.virtual_hosts */
const virtualHostsField = 2;
const virtualHostsTag = (virtualHostsField << 3) | 2;

export interface EncodedVirtualHost {
  readonly name: string;
  readonly port: number;
  readonly candidates: readonly string[];
  /** A Gateway listener's host: its domains win over Services' hosts' (envoy-config/envoy-routes.ts). */
  readonly gatewayListener?: true;
  /** The virtual_hosts element with every candidate as a domain. */
  readonly field: Uint8Array;
  readonly digest: bigint;
  /** Where the message (after tag and length), and its domains, are in `field`. */
  readonly messageStart: number;
  readonly domainsStart: number;
  readonly domainsEnd: number;
}

// Reused: its buffer grows to fit the largest host, so most encodes allocate nothing.
const writer = protobuf.Writer.create();

export function encodeVirtualHost({ host, port, candidates, gatewayListener }: VirtualHostShare): EncodedVirtualHost {
  writer.pos = 0;
  writer.states = null;
  writer.uint32(virtualHostsTag).fork();
  const messageFrom = writer.pos;
  VirtualHost.encode({ ...host, domains: candidates as string[] }, writer);
  const messageLength = writer.pos - messageFrom;
  writer.ldelim();
  // A copy of its own: a view of the writer's buffer would change with the next host.
  const field = new Uint8Array(writer.finish(true));
  const messageStart = field.byteLength - messageLength;
  const domainsStart = messageStart + stringFieldLength(host.name);
  const domainsEnd = candidates.reduce((end, domain) => end + stringFieldLength(domain), domainsStart);
  return { name: host.name, port, candidates, ...(gatewayListener && { gatewayListener }), field, digest: digestOf(field), messageStart, domainsStart, domainsEnd };
}

/** The virtual_hosts element with `domains`, a subsequence of the host's candidates. */
export function virtualHostField(host: EncodedVirtualHost, domains: readonly string[]): Uint8Array {
  if (domains.length === host.candidates.length) return host.field;
  const { field, messageStart, domainsStart, domainsEnd } = host;
  const head = field.subarray(messageStart, domainsStart);
  const middle = domains.length > 0 ? VirtualHost.encode({ domains: [...domains] }).finish() : new Uint8Array();
  const tail = field.subarray(domainsEnd);
  const header = lengthDelimitedHeader(virtualHostsField, head.byteLength + middle.byteLength + tail.byteLength);
  return concatenated([header, head, middle, tail]);
}

/** 128 bits of the bytes' SHA-256. */
export function digestOf(bytes: Uint8Array): bigint {
  const text = hash('sha256', bytes, 'base64url');
  return (BigInt(base64urlBits(text, 0)) << 80n) | (BigInt(base64urlBits(text, 8)) << 32n) | BigInt(Math.floor(base64urlBits(text, 16) / 2 ** 16));
}

/** The encoded length of a string field numbered below 16: tag, length, bytes. */
function stringFieldLength(value: string): number {
  const length = Buffer.byteLength(value);
  let varintLength = 1;
  for (let rest = length; rest > 0x7f; rest = Math.floor(rest / 128)) varintLength++;
  return 1 + varintLength + length;
}
