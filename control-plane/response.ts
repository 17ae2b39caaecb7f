// Response bytes built from resources that are already encoded: the Any bytes of each
// resource are referenced as they are, never re-encoded or copied per stream, whatever the
// wire format. A push sends the same response to many streams but for its nonce; protobuf
// fields may come in any order, so everything but the nonce (the body) is laid out once, as
// a list of chunks that point at the resources' bytes, and each stream's response is one
// buffer: the body copied in, then its nonce field. A 3.7 MiB RouteConfiguration is copied
// once per response, not once per encoding step.
import { lengthDelimitedHeader, type Resource } from './resource.ts';
import type { TypeUrl } from './types.ts';

// Field numbers; every field written here is length-delimited.
const identifierField = 1; // envoy.config.core.v3.ControlPlane.identifier
// envoy.service.discovery.v3.DiscoveryResponse
const sotw = { versionInfo: 1, resources: 2, typeUrl: 4, nonce: 5, controlPlane: 6 };
// envoy.service.discovery.v3.DeltaDiscoveryResponse, and its Resource
const delta = { systemVersionInfo: 1, resources: 2, typeUrl: 4, nonce: 5, removedResources: 6, controlPlane: 7 };
const wrapped = { version: 1, resource: 2, name: 3 };

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

export function encodeDiscoveryResponse(fields: ResponseFields): Buffer {
  const body = sotwBodies.get({ ...fields, removed: [] }, ({ version, type, resources, controlPlane }) => {
    const chunks = new Chunks().string(sotw.versionInfo, version);
    for (const resource of resources) chunks.pieces(sotw.resources, anyOf(resource));
    chunks.string(sotw.typeUrl, type);
    if (controlPlane) chunks.message(sotw.controlPlane, new Chunks().string(identifierField, controlPlane));
    return chunks;
  });
  return body.withNonce(sotw.nonce, fields.nonce);
}

export function encodeDeltaDiscoveryResponse(fields: DeltaResponseFields): Buffer {
  const body = deltaBodies.get(fields, ({ version, type, resources, removed, controlPlane }) => {
    const chunks = new Chunks().string(delta.systemVersionInfo, version);
    for (const resource of resources) {
      chunks.message(delta.resources, new Chunks().string(wrapped.version, resource.version).pieces(wrapped.resource, anyOf(resource)).string(wrapped.name, resource.name));
    }
    chunks.string(delta.typeUrl, type);
    for (const name of removed) chunks.string(delta.removedResources, name);
    if (controlPlane) chunks.message(delta.controlPlane, new Chunks().string(identifierField, controlPlane));
    return chunks;
  });
  return body.withNonce(delta.nonce, fields.nonce);
}

function anyOf(resource: Resource): readonly Uint8Array[] {
  return resource.anyParts?.() ?? [resource.any];
}

/** Length-delimited fields as a list of byte chunks: values are referenced, not copied. */
class Chunks {
  readonly parts: Uint8Array[] = [];
  length = 0;

  string(field: number, value: string): this {
    return this.pieces(field, [Buffer.from(value)]);
  }

  message(field: number, fields: Chunks): this {
    return this.pieces(field, fields.parts);
  }

  /** One field whose value is `pieces` end to end. */
  pieces(field: number, pieces: readonly Uint8Array[]): this {
    let length = 0;
    for (const piece of pieces) length += piece.length;
    this.#add(lengthDelimitedHeader(field, length));
    for (const piece of pieces) this.#add(piece);
    return this;
  }

  copyTo(target: Uint8Array): void {
    let at = 0;
    for (const part of this.parts) {
      target.set(part, at);
      at += part.length;
    }
  }

  #add(part: Uint8Array): void {
    this.parts.push(part);
    this.length += part.length;
  }
}

/** A response without its nonce, and how to give it one. */
class Body {
  readonly #chunks: Chunks;
  /** The chunks in one piece, made on the second use: a body sent once is copied once. */
  #flat?: Uint8Array;
  #uses = 0;

  constructor(chunks: Chunks) {
    this.#chunks = chunks;
  }

  /** The response: this body and the nonce field (a stream's base-36 counter: ASCII). */
  withNonce(nonceField: number, nonce: string): Buffer {
    const length = this.#chunks.length;
    const header = lengthDelimitedHeader(nonceField, nonce.length);
    const response = Buffer.allocUnsafe(length + header.length + nonce.length);
    if (++this.#uses === 2) {
      this.#flat = new Uint8Array(length);
      this.#chunks.copyTo(this.#flat);
    }
    if (this.#flat) response.set(this.#flat);
    else this.#chunks.copyTo(response);
    response.set(header, length);
    response.write(nonce, length + header.length, 'latin1');
    return response;
  }
}

type BodyFields = Omit<DeltaResponseFields, 'nonce'>;

/** The last body laid out per type and wire format: the streams of one push ask for it in turn. */
class LastBodies {
  readonly #last = new Map<TypeUrl, { readonly fields: BodyFields; readonly body: Body }>();

  get(fields: BodyFields, layOut: (fields: BodyFields) => Chunks): Body {
    const last = this.#last.get(fields.type);
    if (last && sameBody(last.fields, fields)) return last.body;
    const body = new Body(layOut(fields));
    this.#last.set(fields.type, { fields: { ...fields, resources: [...fields.resources], removed: [...fields.removed] }, body });
    return body;
  }
}

const sotwBodies = new LastBodies();
const deltaBodies = new LastBodies();

function sameBody(a: BodyFields, b: BodyFields): boolean {
  return a.version === b.version && a.controlPlane === b.controlPlane && sameItems(a.resources, b.resources) && sameItems(a.removed, b.removed);
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
