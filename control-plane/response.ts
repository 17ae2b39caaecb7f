// Response bytes built from resources that are already encoded: the Any bytes of each
// resource are copied in as they are, never re-encoded per stream, whatever the wire format.
// A push sends the same response to many streams but for its nonce; protobuf fields may come
// in any order, so everything but the nonce is encoded once (the body) and each stream's
// response is that body with its nonce field appended.
import protobuf from 'protobufjs/minimal.js';
import type { Resource } from './resource.ts';
import type { TypeUrl } from './types.ts';

const tag = (field: number) => (field << 3) | 2; // every field written here is length-delimited
const identifierTag = tag(1); // envoy.config.core.v3.ControlPlane.identifier

// envoy.service.discovery.v3.DiscoveryResponse
const sotw = { versionInfo: tag(1), resources: tag(2), typeUrl: tag(4), nonce: tag(5), controlPlane: tag(6) };
// envoy.service.discovery.v3.DeltaDiscoveryResponse, and its Resource
const delta = { systemVersionInfo: tag(1), resources: tag(2), typeUrl: tag(4), nonce: tag(5), removedResources: tag(6), controlPlane: tag(7) };
const wrapped = { version: tag(1), resource: tag(2), name: tag(3) };

export interface ResponseFields {
  readonly version: string;
  readonly type: TypeUrl;
  readonly nonce: string;
  readonly resources: readonly Resource[];
  readonly controlPlane?: string;
}

export interface DeltaResponseFields extends ResponseFields {
  readonly removed: readonly string[];
}

type BodyFields = Omit<DeltaResponseFields, 'nonce'>;

/** The last body encoded per type and wire format: the streams of one push ask for it in turn. */
class LastBodies {
  readonly #last = new Map<TypeUrl, { readonly fields: BodyFields; readonly body: Uint8Array }>();

  get(fields: BodyFields, encode: () => Uint8Array): Uint8Array {
    const last = this.#last.get(fields.type);
    if (last && sameBody(last.fields, fields)) return last.body;
    const body = encode();
    this.#last.set(fields.type, { fields: { ...fields, resources: [...fields.resources], removed: [...fields.removed] }, body });
    return body;
  }
}

const sotwBodies = new LastBodies();
const deltaBodies = new LastBodies();

export function encodeDiscoveryResponse(fields: ResponseFields): Buffer {
  const { version, type, resources, controlPlane } = fields;
  const body = sotwBodies.get({ ...fields, removed: [] }, () => {
    const writer = protobuf.Writer.create();
    writer.uint32(sotw.versionInfo).string(version);
    for (const resource of resources) writer.uint32(sotw.resources).bytes(resource.any);
    writer.uint32(sotw.typeUrl).string(type);
    writeControlPlane(writer, sotw.controlPlane, controlPlane);
    return new Uint8Array(writer.finish()); // a copy: the writer's output may be a view into a shared slab
  });
  return withNonce(body, sotw.nonce, fields.nonce);
}

export function encodeDeltaDiscoveryResponse(fields: DeltaResponseFields): Buffer {
  const { version, type, resources, removed, controlPlane } = fields;
  const body = deltaBodies.get(fields, () => {
    const writer = protobuf.Writer.create();
    writer.uint32(delta.systemVersionInfo).string(version);
    for (const resource of resources) writer.uint32(delta.resources).bytes(wrappedResource(resource));
    writer.uint32(delta.typeUrl).string(type);
    for (const name of removed) writer.uint32(delta.removedResources).string(name);
    writeControlPlane(writer, delta.controlPlane, controlPlane);
    return new Uint8Array(writer.finish());
  });
  return withNonce(body, delta.nonce, fields.nonce);
}

function sameBody(a: BodyFields, b: BodyFields): boolean {
  return a.version === b.version && a.controlPlane === b.controlPlane && sameItems(a.resources, b.resources) && sameItems(a.removed, b.removed);
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The body and one more field: the nonce, a stream's base-36 counter (ASCII, its length fits one byte). */
function withNonce(body: Uint8Array, nonceTag: number, nonce: string): Buffer {
  if (nonce.length > 127) throw new Error(`nonce "${nonce}" is longer than 127 characters`);
  const response = Buffer.allocUnsafe(body.length + 2 + nonce.length);
  response.set(body);
  let at = body.length;
  response[at++] = nonceTag;
  response[at++] = nonce.length;
  response.write(nonce, at, 'latin1');
  return response;
}

// A delta Resource wrapper (name, version, Any) is encoded once per resource, on first use.
const wrappedBytes = new WeakMap<Resource, Uint8Array>();

function wrappedResource(resource: Resource): Uint8Array {
  let bytes = wrappedBytes.get(resource);
  if (!bytes) {
    const writer = protobuf.Writer.create();
    writer.uint32(wrapped.version).string(resource.version);
    writer.uint32(wrapped.resource).bytes(resource.any);
    writer.uint32(wrapped.name).string(resource.name);
    bytes = new Uint8Array(writer.finish()); // a copy: the writer's output may be a view into a shared slab
    wrappedBytes.set(resource, bytes);
  }
  return bytes;
}

function writeControlPlane(writer: protobuf.Writer, fieldTag: number, identifier: string | undefined): void {
  if (identifier) writer.uint32(fieldTag).fork().uint32(identifierTag).string(identifier).ldelim();
}
