// A raw incremental (delta) ADS client on a real grpc-js channel: it sends exactly the
// DeltaDiscoveryRequests a test writes and hands back every DeltaDiscoveryResponse in
// arrival order, with each resource's google.protobuf.Any as the bytes that came on the wire.
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { envoy, google } from '../../generated/envoy.js';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoyNode } from './raw-ads-client.ts';
import { ResponseQueue } from './response-queue.ts';

const discovery = envoy.service.discovery.v3;
const deltaPath = '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources';

// Field numbers of envoy.service.discovery.v3.DeltaDiscoveryResponse.resources and Resource.resource.
const responseResourcesField = 2;
const resourceAnyField = 2;

export interface DeltaResource {
  /** Resource.name. */
  readonly name: string;
  /** Resource.version: the server's version of this one resource. */
  readonly version: string;
  /** The encoded google.protobuf.Any (Resource.resource) exactly as received; empty when absent. */
  readonly bytes: Uint8Array;
  /** The same Any, decoded. */
  readonly any: google.protobuf.IAny | undefined;
  readonly aliases: readonly string[];
}

export interface DeltaResponse {
  readonly type: string;
  readonly nonce: string;
  readonly systemVersion: string;
  readonly resources: readonly DeltaResource[];
  /** removed_resources, in response order. */
  readonly removed: readonly string[];
  readonly controlPlane?: string;
  /** Size of the whole DeltaDiscoveryResponse message as received. */
  readonly size: number;
}

export interface DeltaRequestOptions {
  subscribe?: readonly string[];
  unsubscribe?: readonly string[];
  /** initial_resource_versions: name -> version, as a previous stream received them. */
  initialVersions?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
  /** response_nonce; omitted by default (a spontaneous request). */
  nonce?: string;
  /** Sets error_detail: a NACK of `nonce`. */
  error?: string;
  /** Overrides the node; by default only the first request carries the client's node. */
  node?: envoy.config.core.v3.INode | null;
}

export class RawDeltaClient {
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly #queue = new ResponseQueue<DeltaResponse>('DeltaDiscoveryResponse');
  readonly #held = new Map<string, Map<string, string>>();
  #node?: envoy.config.core.v3.INode | null;
  /** The stream's final status (the server's, or CANCELLED after close()). */
  readonly ended: Promise<grpc.StatusObject>;

  constructor(address: string, node: envoy.config.core.v3.INode | null = envoyNode('delta-client')) {
    this.#node = node;
    // Envoy takes responses of any size; a large snapshot's full CDS passes grpc-js's default 4 MiB.
    this.#client = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 });
    const identity = (value: Buffer) => value;
    this.#call = this.#client.makeBidiStreamRequest(deltaPath, identity, identity);
    this.#call.on('data', (bytes: Buffer) => {
      const response = decodeDeltaResponse(bytes);
      let held = this.#held.get(response.type);
      if (!held) this.#held.set(response.type, (held = new Map()));
      for (const resource of response.resources) held.set(resource.name, resource.version);
      for (const name of response.removed) held.delete(name);
      this.#queue.push(response);
    });
    this.ended = new Promise((resolve) =>
      this.#call.on('status', (status: grpc.StatusObject) => {
        this.#queue.end(`the DeltaAggregatedResources stream ended: ${describeStatus(status)}`);
        resolve(status);
      }),
    );
    this.#call.on('error', () => {});
  }

  /** Sends a DeltaDiscoveryRequest for `type`; the first request of the stream carries the node. */
  request(type: string, options: DeltaRequestOptions = {}): void {
    const node = options.node !== undefined ? options.node : this.#node;
    this.#node = undefined; // like Envoy: node only on the first request
    const initial = options.initialVersions;
    const initialVersions = initial instanceof Map ? Object.fromEntries(initial) : (initial as Record<string, string> | undefined);
    this.sendRaw(
      discovery.DeltaDiscoveryRequest.encode({
        ...(node ? { node } : {}),
        type_url: type,
        resource_names_subscribe: [...(options.subscribe ?? [])],
        resource_names_unsubscribe: [...(options.unsubscribe ?? [])],
        ...(initialVersions && Object.keys(initialVersions).length > 0 ? { initial_resource_versions: initialVersions } : {}),
        response_nonce: options.nonce ?? '',
        ...(options.error ? { error_detail: { code: 3, message: options.error } } : {}),
      }).finish(),
    );
  }

  /** ACKs a response: its nonce, no error_detail, no subscription change. */
  ack(response: DeltaResponse): void {
    this.request(response.type, { nonce: response.nonce });
  }

  /** NACKs a response: its nonce with error_detail. */
  nack(response: DeltaResponse, message: string): void {
    this.request(response.type, { nonce: response.nonce, error: message });
  }

  sendRaw(bytes: Uint8Array): void {
    this.#call.write(Buffer.from(bytes));
  }

  /** name -> version of every resource of `type` this stream holds (received and not removed). */
  held(type: string): Map<string, string> {
    return new Map(this.#held.get(type) ?? []);
  }

  /** The next response in arrival order; fails at once when the stream has ended. */
  next(timeoutMs = 10_000): Promise<DeltaResponse> {
    return this.#queue.next(timeoutMs);
  }

  /** The next response, which must be of `type`. */
  async nextOf(type: string): Promise<DeltaResponse> {
    const response = await this.next();
    if (response.type !== type) throw new Error(`expected a ${type} response, got ${describeResponse(response)}`);
    return response;
  }

  /**
   * Proves that nothing was sent so far: subscribes to `probeName` of `probeType` (which must
   * exist in the client's snapshot and not be subscribed yet) and requires the next response
   * to carry exactly that resource; then ACKs it and unsubscribes again. The server handles a
   * stream's requests in order, so anything it sent before would arrive first.
   */
  async barrier(probeName: string, probeType: string = TypeUrl.Route): Promise<void> {
    const before = await this.drain(probeName, probeType);
    if (before.length > 0) throw new Error(`unexpected response before the barrier: ${before.map(describeResponse).join('; ')}`);
  }

  /** Like barrier, but returns whatever arrived before the probe's response instead of failing. */
  async drain(probeName: string, probeType: string = TypeUrl.Route): Promise<DeltaResponse[]> {
    this.request(probeType, { subscribe: [probeName] });
    const before: DeltaResponse[] = [];
    for (;;) {
      const response = await this.next();
      const isProbe = response.type === probeType && response.removed.length === 0 &&
        response.resources.length === 1 && response.resources[0]!.name === probeName;
      if (isProbe) {
        this.request(probeType, { unsubscribe: [probeName], nonce: response.nonce });
        return before;
      }
      before.push(response);
    }
  }

  /** Stops reading responses, like a stuck client. */
  pause(): void {
    this.#call.pause();
  }

  resume(): void {
    this.#call.resume();
  }

  /** Responses received and not yet taken. */
  pending(): number {
    return this.#queue.size;
  }

  /** Runs `work`, failing as soon as the stream ends (e.g. while polling server state). */
  async whileOpen<T>(work: Promise<T>): Promise<T> {
    const ended = this.ended.then((status) => {
      throw new Error(`the DeltaAggregatedResources stream ended: ${describeStatus(status)}`);
    });
    return Promise.race([work, ended]);
  }

  close(): void {
    this.#queue.end('the client is closed');
    this.#call.cancel();
    this.#client.close();
  }
}

/** Decodes a DeltaDiscoveryResponse, keeping each resource's Any as the bytes received. */
export function decodeDeltaResponse(bytes: Uint8Array): DeltaResponse {
  const message = discovery.DeltaDiscoveryResponse.decode(bytes);
  const anyBytes = rawAnys(bytes);
  const resources = (message.resources ?? []).map((resource, i): DeltaResource => ({
    name: resource.name ?? '',
    version: resource.version ?? '',
    bytes: anyBytes[i] ?? new Uint8Array(),
    any: resource.resource ?? undefined,
    aliases: resource.aliases ?? [],
  }));
  return {
    type: message.type_url ?? '',
    nonce: message.nonce ?? '',
    systemVersion: message.system_version_info ?? '',
    resources,
    removed: message.removed_resources ?? [],
    controlPlane: message.control_plane?.identifier ?? undefined,
    size: bytes.byteLength,
  };
}

/** The raw Any bytes of each Resource, in order (empty for a Resource without one). */
function rawAnys(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === responseResourcesField && (tag & 7) === 2) out.push(anyOf(reader.bytes()));
    else reader.skipType(tag & 7);
  }
  return out;
}

function anyOf(resourceBytes: Uint8Array): Uint8Array {
  const reader = protobuf.Reader.create(resourceBytes);
  let found = new Uint8Array();
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === resourceAnyField && (tag & 7) === 2) found = Uint8Array.from(reader.bytes());
    else reader.skipType(tag & 7);
  }
  return found;
}

export function describeResponse(response: DeltaResponse): string {
  const type = response.type.split('.').pop();
  const removed = response.removed.length > 0 ? ` removed [${response.removed.join(', ')}]` : '';
  return `${type} [${response.resources.map((r) => r.name).join(', ')}]${removed}`;
}

function describeStatus(status: grpc.StatusObject): string {
  return `${status.code} ${grpc.status[status.code] ?? ''}: ${status.details}`;
}
