// A resource as the control plane keeps it: encoded once into a google.protobuf.Any, with
// a content hash as its version. Identical content built for several client classes is
// interned to one object, so every stream that receives it shares the same bytes.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
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
  const value = codec.encode(message);
  // Copied: the encoder's output is a Buffer view into a shared 64 KiB slab, and a resource
  // kept for the snapshot's lifetime must not pin the rest of it (measured: 6.7x the bytes).
  const any = new Uint8Array(google.protobuf.Any.encode({ type_url: type, value }).finish());
  const hash = createHash('sha256').update(any).digest();
  const version = hash.subarray(0, 12).toString('base64url');
  const cached = interned.get(version);
  if (cached && cached.type === type && cached.name === name) return cached;
  const edsServiceName = codec.endpointsOf?.(message);
  const resource: Resource = { type, name, version, digest: hash.readBigUInt64BE(0), any, ...(edsServiceName && { edsServiceName }) };
  interned.set(version, resource);
  return resource;
}
