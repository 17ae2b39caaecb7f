// A resource as the control plane keeps it: encoded once into a google.protobuf.Any, with
// a content hash as its version. Identical content built for several client classes is
// interned to one object, so every stream that receives it shares the same bytes.
import { hash as digest } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import protobuf from 'protobufjs/minimal.js';
import { google } from '../generated/envoy.js';
import { resourceType, type MessageOf, type TypeUrl } from './types.ts';

export type { MessageOf } from './types.ts';

export interface Resource {
  readonly type: TypeUrl;
  readonly name: string;
  /** Content hash: equal content gives an equal version, across restarts too. */
  readonly version: string;
  /** The same hash as a 64-bit number, summed into order-independent type versions. */
  readonly digest: bigint;
  /** The encoded google.protobuf.Any, shared by every response that carries it. */
  readonly any: Uint8Array;
  /** For clusters: the EDS resource it needs (resent after the cluster changes). */
  readonly edsServiceName?: string;
}

// Enough for every resource of a large cluster in every class; evicting only costs re-sharing.
const interned = new LRUCache<string, Resource>({ max: 200_000 });

export function encodeResource<T extends TypeUrl>(type: T, message: MessageOf[T]): Resource {
  const codec = resourceType(type);
  const name = codec.nameOf(message);
  if (!name) throw new Error(`a ${type} resource has no name`);
  const encoded = encodeAny(type, message);
  const hash = digest('sha256', encoded, 'buffer');
  const version = hash.subarray(0, 12).toString('base64url');
  const cached = interned.get(version);
  if (cached && cached.type === type && cached.name === name) return cached;
  const any = ownCopy(encoded);
  const edsServiceName = codec.endpointsOf?.(message);
  const resource: Resource = { type, name, version, digest: hash.readBigUInt64BE(0), any, ...(edsServiceName && { edsServiceName }) };
  interned.set(version, resource);
  return resource;
}

// Reused: its buffer grows to fit the largest resource, so most encodes allocate nothing.
let writer = protobuf.Writer.create();
const maxKeptWriterBytes = 1 << 20;

/** google.protobuf.Any in one pass: type_url (1), then the message as value (2); valid until the next call. */
function encodeAny<T extends TypeUrl>(type: T, message: MessageOf[T]): Uint8Array {
  writer.pos = 0;
  writer.states = null;
  writer.uint32(anyTypeUrlTag).string(type).uint32(anyValueTag).fork();
  resourceType(type).encode(message, writer).ldelim();
  const encoded = writer.buf.subarray(0, writer.pos);
  if (writer.buf.byteLength > maxKeptWriterBytes) writer = protobuf.Writer.create();
  return encoded;
}

// In a buffer of its own: one sliced from a shared slab would pin the rest of it while the
// resource is kept (measured: 6.7x the bytes).
function ownCopy(bytes: Uint8Array): Uint8Array {
  const copy = unfilledBytes(bytes.byteLength);
  copy.set(bytes);
  return copy;
}

/** A buffer of its own, not zero-filled: for callers that write every byte. */
function unfilledBytes(length: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

const anyTypeUrlTag = (1 << 3) | 2;
const anyValueTag = (2 << 3) | 2;

/**
 * A resource whose message is `fields` concatenated: a protobuf message is the
 * concatenation of its encoded fields, and a repeated field is one tag, length and value
 * per element. For a large message kept in parts, so that a change re-encodes only its own
 * part. `contentId` stands in for a hash of the bytes (megabytes are not rehashed): equal
 * content must have an equal contentId and different content a different one, e.g. a
 * count and a sum of the parts' digests. The bytes are assembled when first read (a class
 * that no client reads never pays for them), then `assembled` is told where the fields start
 * in them (a later version can copy what did not change from there); the fields must not
 * change. Not interned, and for types whose resources need no EDS resource.
 */
export function resourceFromFields(
  type: TypeUrl,
  name: string,
  fields: readonly Uint8Array[],
  contentId: string,
  assembled?: (any: Uint8Array, fieldsStart: number) => void,
): Resource {
  const hash = digest('sha256', `${type}\0${name}\0${contentId}`, 'buffer');
  let pending: { fields: readonly Uint8Array[]; assembled?: typeof assembled } | undefined = { fields, assembled };
  let any: Uint8Array | undefined;
  return {
    type,
    name,
    version: hash.subarray(0, 12).toString('base64url'),
    digest: hash.readBigUInt64BE(0),
    get any() {
      if (!any) {
        const { fields, assembled } = pending!;
        pending = undefined;
        const result = anyOfFields(type, fields);
        any = result.any;
        assembled?.(result.any, result.fieldsStart);
      }
      return any;
    },
  };
}

/** google.protobuf.Any: type_url (1), then value (2) as tag, length and the fields. */
function anyOfFields(type: TypeUrl, fields: readonly Uint8Array[]): { any: Uint8Array; fieldsStart: number } {
  let length = 0;
  for (const field of fields) length += field.byteLength;
  const head = google.protobuf.Any.encode({ type_url: type }).finish();
  const valueHeader = lengthDelimitedHeader(2, length);
  const fieldsStart = head.byteLength + valueHeader.byteLength;
  const any = unfilledBytes(fieldsStart + length);
  any.set(head, 0);
  any.set(valueHeader, head.byteLength);
  let offset = fieldsStart;
  for (const field of fields) {
    any.set(field, offset);
    offset += field.byteLength;
  }
  return { any, fieldsStart };
}

/** The tag and length that precede a length-delimited field's `length` bytes. */
export function lengthDelimitedHeader(fieldNumber: number, length: number): Uint8Array {
  const bytes = [(fieldNumber << 3) | 2];
  for (; length > 0x7f; length = Math.floor(length / 128)) bytes.push((length % 128) | 0x80);
  bytes.push(length);
  return new Uint8Array(bytes);
}
