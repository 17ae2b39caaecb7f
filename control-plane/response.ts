// DiscoveryResponse bytes built from resources that are already encoded: the Any bytes of
// each resource are copied in as they are, never re-encoded per stream.
import protobuf from 'protobufjs/minimal.js';
import type { Resource } from './resource.ts';
import type { TypeUrl } from './types.ts';

// Field tags of envoy.service.discovery.v3.DiscoveryResponse (field number << 3 | wire type 2).
const versionInfoTag = (1 << 3) | 2;
const resourcesTag = (2 << 3) | 2;
const typeUrlTag = (4 << 3) | 2;
const nonceTag = (5 << 3) | 2;
const controlPlaneTag = (6 << 3) | 2;
const identifierTag = (1 << 3) | 2; // envoy.config.core.v3.ControlPlane.identifier

export interface ResponseFields {
  readonly version: string;
  readonly type: TypeUrl;
  readonly nonce: string;
  readonly resources: readonly Resource[];
  readonly controlPlane?: string;
}

export function encodeDiscoveryResponse({ version, type, nonce, resources, controlPlane }: ResponseFields): Buffer {
  const writer = protobuf.Writer.create();
  writer.uint32(versionInfoTag).string(version);
  for (const resource of resources) writer.uint32(resourcesTag).bytes(resource.any);
  writer.uint32(typeUrlTag).string(type);
  writer.uint32(nonceTag).string(nonce);
  if (controlPlane) writer.uint32(controlPlaneTag).fork().uint32(identifierTag).string(controlPlane).ldelim();
  const bytes = writer.finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
