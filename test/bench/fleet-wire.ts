// The few protobuf fields the fleet benchmark's client and floor processes touch, read and
// written by hand: a thousand streams in one process cannot afford decoding whole messages,
// and the floor server must cost no more than writing bytes. Field numbers are those of
// envoy.service.discovery.v3 and envoy.config.endpoint.v3.

/** A stream's endpoints at generation `g`: `10.(100 + g>>8).(g&255).host`, hosts 1..count. */
export function addressesOf(generation: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${generationPrefix(generation)}${i + 1}`);
}

export function generationPrefix(generation: number): string {
  return `10.${100 + (generation >> 8)}.${generation & 255}.`;
}

/** The generation an address of `addressesOf` spells, or -1. */
export function generationOf(address: string): number {
  const parts = address.split('.');
  if (parts.length !== 4 || parts[0] !== '10') return -1;
  const high = Number(parts[1]) - 100;
  const low = Number(parts[2]);
  return high >= 0 && low >= 0 ? high * 256 + low : -1;
}

// ---- reading ----

let position = 0;

function varint(bytes: Uint8Array): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[position++]!;
    if (shift < 28) result |= (byte & 0x7f) << shift;
    else result += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return result;
    shift += 7;
    if (shift > 63) throw new Error('bad varint');
  }
}

/** Calls `visit(field, start, end)` for each length-delimited field of `bytes[start, end)`. */
function eachField(bytes: Uint8Array, start: number, end: number, visit: (field: number, start: number, end: number) => boolean | void): void {
  position = start;
  while (position < end) {
    const tag = varint(bytes);
    const wireType = tag & 7;
    if (wireType === 2) {
      const length = varint(bytes);
      const from = position;
      position += length;
      if (position > end) throw new Error('truncated message');
      const saved = position;
      if (visit(tag >>> 3, from, position) === true) return;
      position = saved;
    } else if (wireType === 0) varint(bytes);
    else if (wireType === 1) position += 8;
    else if (wireType === 5) position += 4;
    else throw new Error(`unsupported wire type ${wireType}`);
  }
}

/** The first length-delimited `field` of `bytes[start, end)`, as [start, end]; undefined if absent. */
function firstField(bytes: Uint8Array, start: number, end: number, field: number): [number, number] | undefined {
  let found: [number, number] | undefined;
  eachField(bytes, start, end, (f, from, to) => {
    if (f !== field) return false;
    found = [from, to];
    return true;
  });
  return found;
}

const latin1 = (bytes: Uint8Array, start: number, end: number) => Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');

/** What a client needs from a DiscoveryResponse to ACK it, and its first resource. */
export interface ResponseHead {
  readonly typeUrl: string;
  /** Raw bytes of version_info and nonce, copied into the ACK as they are. */
  readonly version: Uint8Array;
  readonly nonce: Uint8Array;
  readonly resources: number;
  /** [start, end) of the first resource's google.protobuf.Any. */
  readonly first?: readonly [number, number];
}

const empty: Uint8Array = new Uint8Array(0);

export function readResponseHead(bytes: Uint8Array): ResponseHead {
  let typeUrl = '';
  let version = empty;
  let nonce = empty;
  let resources = 0;
  let first: [number, number] | undefined;
  eachField(bytes, 0, bytes.length, (field, start, end) => {
    if (field === 1) version = bytes.subarray(start, end);
    else if (field === 2) {
      if (resources++ === 0) first = [start, end];
    } else if (field === 4) typeUrl = latin1(bytes, start, end);
    else if (field === 5) nonce = bytes.subarray(start, end);
  });
  return { typeUrl, version, nonce, resources, ...(first ? { first } : {}) };
}

/**
 * The generation of a ClusterLoadAssignment response: that of the first endpoint's address
 * (Any.value → endpoints → lb_endpoints → endpoint → address → socket_address → address);
 * -1 when it has no endpoint.
 */
export function endpointGeneration(bytes: Uint8Array, head: ResponseHead): number {
  if (!head.first) return -1;
  // Any.value, CLA.endpoints, LocalityLbEndpoints.lb_endpoints, LbEndpoint.endpoint,
  // Endpoint.address, Address.socket_address, SocketAddress.address.
  let range: readonly [number, number] | undefined = head.first;
  for (const field of [2, 2, 2, 1, 1, 1, 2]) {
    range = firstField(bytes, range[0], range[1], field);
    if (!range) return -1;
  }
  return generationOf(latin1(bytes, range[0], range[1]));
}

/** A DiscoveryRequest's type_url and whether it carries a response_nonce (an ACK or NACK). */
export function readRequestHead(bytes: Uint8Array): { typeUrl: string; acknowledges: boolean } {
  let typeUrl = '';
  let acknowledges = false;
  eachField(bytes, 0, bytes.length, (field, start, end) => {
    if (field === 4) typeUrl = latin1(bytes, start, end);
    else if (field === 5) acknowledges = end > start;
  });
  return { typeUrl, acknowledges };
}

// ---- writing ----

function varintBytes(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** One length-delimited field, tag and length included. */
export function field(number: number, value: Uint8Array | string): Buffer {
  const body = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([Buffer.from([...varintBytes((number << 3) | 2), ...varintBytes(body.length)]), body]);
}

/** DiscoveryRequest: version_info = 1, node = 2, resource_names = 3, type_url = 4, response_nonce = 5. */
export const RequestField = { version: 1, node: 2, names: 3, typeUrl: 4, nonce: 5 } as const;

/** DiscoveryResponse: version_info = 1, resources = 2, type_url = 4, nonce = 5. */
export function discoveryResponse(typeUrl: string, version: string, nonce: string, anys: readonly Uint8Array[]): Buffer {
  return Buffer.concat([field(1, version), ...anys.map((any) => field(2, any)), field(4, typeUrl), field(5, nonce)]);
}
