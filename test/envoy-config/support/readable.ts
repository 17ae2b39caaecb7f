// Resources as readable plain objects: encoded with the generated static code, decoded
// again, and converted with `toObject` (enum names, numbers for 64-bit values), every Any
// unpacked in place as `{ "@type": url, ...fields }` like proto3 JSON.
import { envoy, google, udpa, xds } from '../../../generated/envoy.js';
import type { IConversionOptions } from 'protobufjs';
import type { ResourceSet } from '../../../envoy-config/index.ts';

interface GeneratedType {
  encode(message: object): { finish(): Uint8Array };
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: IConversionOptions): Record<string, unknown>;
}

/** A decoded resource as plain JSON-like data; tests walk it freely. */
export type Readable = { [field: string]: any };

const conversion: IConversionOptions = { enums: String, longs: Number, defaults: false };

export function generatedType(typeUrl: string): GeneratedType {
  const fullName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  let node: unknown = { envoy, google, udpa, xds };
  for (const part of fullName.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  if (typeof (node as GeneratedType | undefined)?.decode !== 'function') throw new Error(`no generated type for ${typeUrl}`);
  return node as GeneratedType;
}

/** Decodes `bytes` of `typeUrl` into a readable object. */
export function readableBytes(typeUrl: string, bytes: Uint8Array): Readable {
  const type = generatedType(typeUrl);
  return unpackAnys(type.toObject(type.decode(bytes), conversion)) as Readable;
}

/** Encodes `message` as `typeUrl` and reads it back. */
export function readable(typeUrl: string, message: object): Readable {
  return readableBytes(typeUrl, generatedType(typeUrl).encode(message).finish());
}

function unpackAnys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unpackAnys);
  if (value === null || typeof value !== 'object') return value;
  const { type_url: typeUrl, value: bytes, ...rest } = value as { type_url?: unknown; value?: unknown };
  // An Any (toObject leaves out an empty value), not a TypedStruct (its value is a Struct).
  if (typeof typeUrl === 'string' && (bytes === undefined || bytes instanceof Uint8Array) && Object.keys(rest).length === 0) {
    return { '@type': typeUrl, ...readableBytes(typeUrl, bytes ?? new Uint8Array()) };
  }
  return Object.fromEntries(Object.entries(value).map(([key, field]) => [key, unpackAnys(field)]));
}

export const typeUrls = {
  listeners: envoy.config.listener.v3.Listener.getTypeUrl(),
  routes: envoy.config.route.v3.RouteConfiguration.getTypeUrl(),
  clusters: envoy.config.cluster.v3.Cluster.getTypeUrl(),
  endpoints: envoy.config.endpoint.v3.ClusterLoadAssignment.getTypeUrl(),
} as const;

export const resourceKinds = Object.keys(typeUrls) as (keyof ResourceSet)[];

/** The encoded bytes of every resource in a set, by kind. */
export function encodeSet(set: ResourceSet): Record<keyof ResourceSet, Uint8Array[]> {
  const encode = (kind: keyof ResourceSet) => set[kind].map((message: object) => generatedType(typeUrls[kind]).encode(message).finish());
  return { listeners: encode('listeners'), routes: encode('routes'), clusters: encode('clusters'), endpoints: encode('endpoints') };
}

/** A whole set, readable, kind by kind. */
export function readableSet(set: ResourceSet): Record<keyof ResourceSet, Readable[]> {
  const read = (kind: keyof ResourceSet) => set[kind].map((message: object) => readable(typeUrls[kind], message));
  return { listeners: read('listeners'), routes: read('routes'), clusters: read('clusters'), endpoints: read('endpoints') };
}
