// Response bytes built from resources that are already encoded: the Any bytes of each
// resource are copied in as they are, never re-encoded per stream, whatever the wire format.
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

export function encodeDiscoveryResponse({ version, type, nonce, resources, controlPlane }: ResponseFields): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32(sotw.versionInfo).string(version);
  for (const resource of resources) writer.uint32(sotw.resources).bytes(resource.any);
  writer.uint32(sotw.typeUrl).string(type);
  writer.uint32(sotw.nonce).string(nonce);
  writeControlPlane(writer, sotw.controlPlane, controlPlane);
  return finish(writer);
}

export interface DeltaResponseFields extends ResponseFields {
  readonly removed: readonly string[];
}

export function encodeDeltaDiscoveryResponse({ version, type, nonce, resources, removed, controlPlane }: DeltaResponseFields): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32(delta.systemVersionInfo).string(version);
  for (const resource of resources) writer.uint32(delta.resources).bytes(wrappedResource(resource));
  writer.uint32(delta.typeUrl).string(type);
  writer.uint32(delta.nonce).string(nonce);
  for (const name of removed) writer.uint32(delta.removedResources).string(name);
  writeControlPlane(writer, delta.controlPlane, controlPlane);
  return finish(writer);
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

function finish(writer: protobuf.Writer): Buffer {
  const bytes = writer.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
