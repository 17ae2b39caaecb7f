// A resource as the control plane keeps it: encoded once into a google.protobuf.Any, with
// a content hash as its version. Every stream that receives it shares the same bytes.
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import protobuf from 'protobufjs/minimal.js';
import { pushOrder, resourceType, type MessageOf, type TypeUrl } from './types.ts';

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
  /**
   * The same bytes in pieces, for a large resource kept in parts (resourceFromFields): a
   * response copies the pieces rather than having them assembled first.
   */
  readonly anyParts?: () => readonly Uint8Array[];
  /** For clusters: the EDS resource it needs (resent after the cluster changes). */
  readonly edsServiceName?: string;
}

/** Resources by version (equal versions, equal content: type and name included). */
export interface ReusableResources {
  get(version: string): Resource | undefined;
}

export interface ResourceMessage<T extends TypeUrl = TypeUrl> {
  readonly type: T;
  readonly message: MessageOf[T];
}

// For resources encoded one at a time (hand-built snapshots, shared listeners): the pipeline
// encodes a Service's in batches, shared explicitly between classes and rebuilds.
const interned = new LRUCache<string, Resource>({ max: 10_000 });

/** Identical content encoded again is interned to the same object, so streams share the bytes. */
export function encodeResource<T extends TypeUrl>(type: T, message: MessageOf[T]): Resource {
  const resource = encodeResources([{ type, message }], interned)[0]!;
  interned.set(resource.version, resource);
  return resource;
}

/**
 * Encodes resources into one buffer of their own rather than one each (allocating them cost
 * more than encoding): for resources kept and dropped together, such as a Service's, since
 * the buffer lives as long as any of them. A resource of `reusable` (by version) with the
 * same content is returned instead of a new one, so a rebuild that changes nothing keeps
 * sharing the bytes clients already have.
 */
export function encodeResources(messages: readonly ResourceMessage[], reusable?: ReusableResources): Resource[] {
  writer.pos = 0;
  writer.states = null;
  const encoded: { start: number; end: number; version: string; digest: bigint; reused: Resource | undefined }[] = [];
  for (const { type, message } of messages) {
    const start = writer.pos;
    appendAny(type, message);
    const { version, digest } = contentHash(writer.buf.subarray(start, writer.pos));
    const reused = reusable?.get(version);
    if (reused) writer.pos = start;
    encoded.push({ start, end: writer.pos, version, digest, reused });
  }
  const bytes = writer.pos > 0 ? concatenated([writer.buf.subarray(0, writer.pos)]) : undefined;
  if (writer.buf.byteLength > maxKeptWriterBytes) writer = protobuf.Writer.create();
  return messages.map(({ type, message }, index) => {
    const { start, end, version, digest, reused } = encoded[index]!;
    return reused ?? newResource(type, message, version, digest, bytes!.subarray(start, end));
  });
}

function newResource<T extends TypeUrl>(type: T, message: MessageOf[T], version: string, digest: bigint, any: Uint8Array): Resource {
  const codec = resourceType(type);
  const name = codec.nameOf(message);
  if (!name) throw new Error(`a ${type} resource has no name`);
  const edsServiceName = codec.endpointsOf?.(message);
  return { type, name, version, digest, any, ...(edsServiceName && { edsServiceName }) };
}

/** SHA-256 of the content: its first 96 bits in base64url are the version, its first 64 the digest. */
export function contentHash(content: string | Uint8Array): { version: string; digest: bigint } {
  // As base64url text the hash costs half what it does as a Buffer; 16 digits are 12 bytes.
  const text = hash('sha256', content, 'base64url');
  const digest = (BigInt(base64urlBits(text, 0)) << 16n) | BigInt(Math.floor(base64urlBits(text, 8) / 2 ** 32));
  // Copied, not sliced: a slice would keep all 43 digits alive for as long as the version.
  const at = (index: number) => text.charCodeAt(index);
  const version = String.fromCharCode(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7), at(8), at(9), at(10), at(11), at(12), at(13), at(14), at(15));
  return { version, digest };
}

/** The 48 bits that the 8 base64url digits of `text` from `start` stand for. */
export function base64urlBits(text: string, start: number): number {
  let bits = 0;
  for (let i = start; i < start + 8; i++) bits = bits * 64 + digitValues[text.charCodeAt(i)]!;
  return bits;
}

const digitValues = new Uint8Array(128);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].forEach((digit, value) => (digitValues[digit.charCodeAt(0)] = value));

// Reused: its buffer grows to fit the largest batch, so most encodes allocate nothing.
let writer = protobuf.Writer.create();
const maxKeptWriterBytes = 1 << 20;

/** Appends a google.protobuf.Any in one pass: type_url (1), then the message as value (2). */
function appendAny<T extends TypeUrl>(type: T, message: MessageOf[T]): void {
  writer.uint32(anyTypeUrlTag).bytes(typeUrlBytes.get(type)!).uint32(anyValueTag).fork();
  resourceType(type).encode(message, writer).ldelim();
}


const anyTypeUrlTag = (1 << 3) | 2;
/** Type URLs in UTF-8, as a string field is encoded: once, not per resource. */
const typeUrlBytes = new Map(pushOrder.map((type) => [type, Buffer.from(type)]));
const anyValueTag = (2 << 3) | 2;

/**
 * A resource whose message is `fields` concatenated: a protobuf message is the
 * concatenation of its encoded fields, and a repeated field is one tag, length and value
 * per element. For a large message kept in parts, so that a change re-encodes only its own
 * part, and responses copy the parts (anyParts) without assembling them. `contentId` stands
 * in for a hash of the bytes (megabytes are not rehashed): equal content must have an equal
 * contentId and different content a different one, e.g. a count and a sum of the parts'
 * digests. The whole Any is assembled only for a reader of `any` (CSDS, /debug/config); the
 * fields must not change. Not interned, and for types whose resources need no EDS resource.
 */
export function resourceFromFields(type: TypeUrl, name: string, fields: readonly Uint8Array[], contentId: string): Resource {
  const { version, digest } = contentHash(`${type}\0${name}\0${contentId}`);
  let head: Uint8Array | undefined;
  let any: Uint8Array | undefined;
  const parts = () => [(head ??= anyHead(type, fields)), ...fields];
  return {
    type,
    name,
    version,
    digest,
    get any() {
      return (any ??= concatenated(parts()));
    },
    anyParts: () => (any ? [any] : parts()),
  };
}

/** What precedes the fields in a google.protobuf.Any: type_url (1), then value's (2) tag and length. */
function anyHead(type: TypeUrl, fields: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const field of fields) length += field.byteLength;
  const typeUrl = typeUrlBytes.get(type)!;
  return concatenated([lengthDelimitedHeader(1, typeUrl.byteLength), typeUrl, lengthDelimitedHeader(2, length)]);
}

/**
 * The parts end to end, in a buffer of its own (not a slice of a shared slab, which would pin
 * the rest of it while the resource is kept: measured 6.7x the bytes).
 */
export function concatenated(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const bytes = new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length); // every byte is written below
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return bytes;
}

/** The tag and length that precede a length-delimited field's `length` bytes. */
export function lengthDelimitedHeader(fieldNumber: number, length: number): Uint8Array {
  const bytes = [(fieldNumber << 3) | 2];
  for (; length > 0x7f; length = Math.floor(length / 128)) bytes.push((length % 128) | 0x80);
  bytes.push(length);
  return new Uint8Array(bytes);
}
