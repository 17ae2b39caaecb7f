// A raw ADS client on a real grpc-js channel: it sends exactly the DiscoveryRequests a
// test writes and hands back every DiscoveryResponse in arrival order.
import * as grpc from '@grpc/grpc-js';
import { envoy, google } from '../../generated/envoy.js';
import { ResponseQueue } from './response-queue.ts';
import { TypeUrl } from '../../control-plane/types.ts';

const discovery = envoy.service.discovery.v3;
const adsPath = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';

export interface Response {
  readonly version: string;
  readonly type: string;
  readonly nonce: string;
  /** Resource names in response order. */
  readonly names: string[];
  readonly resources: google.protobuf.IAny[];
  readonly controlPlane?: string;
}

export interface RequestOptions {
  nonce?: string;
  version?: string;
  error?: string;
  node?: envoy.config.core.v3.INode | null;
}

export const grpcNode = (id = 'test-client'): envoy.config.core.v3.INode => ({
  id,
  user_agent_name: 'gRPC Node',
  user_agent_version: '1.14.1',
  client_features: ['envoy.lb.does_not_support_overprovisioning'],
  locality: { zone: 'zone-a' },
});

export const envoyNode = (id: string, role?: string): envoy.config.core.v3.INode => ({
  id,
  cluster: 'test',
  user_agent_name: 'envoy',
  ...(role ? { metadata: { fields: { 'kube-xds.io/role': { stringValue: role } } } } : {}),
});

export class RawAdsClient {
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly #queue = new ResponseQueue<Response>('DiscoveryResponse');
  readonly #lastNonce = new Map<string, string>();
  readonly #lastVersion = new Map<string, string>();
  #node?: envoy.config.core.v3.INode | null;
  readonly ended: Promise<grpc.StatusObject>;

  constructor(address: string, node: envoy.config.core.v3.INode | null = grpcNode(), credentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}) {
    this.#node = node;
    this.#client = new grpc.Client(address, credentials, options);
    const identity = (value: Buffer) => value;
    this.#call = this.#client.makeBidiStreamRequest(adsPath, identity, identity);
    this.#call.on('data', (bytes: Buffer) => {
      const message = discovery.DiscoveryResponse.decode(bytes);
      const resources = message.resources ?? [];
      const response: Response = {
        version: message.version_info,
        type: message.type_url,
        nonce: message.nonce,
        names: resources.map((any) => nameOf(any)),
        resources,
        controlPlane: message.control_plane?.identifier ?? undefined,
      };
      this.#lastNonce.set(response.type, response.nonce);
      this.#lastVersion.set(response.type, response.version);
      this.#queue.push(response);
    });
    this.ended = new Promise((resolve) => this.#call.on('status', resolve));
    this.#call.on('error', () => {});
  }

  /** Sends a request; by default it ACKs the latest response of the type. */
  request(type: string, names: string[], options: RequestOptions = {}): void {
    const node = options.node !== undefined ? options.node : this.#node;
    this.#node = undefined; // like gRPC clients: node only on the first request
    this.sendRaw(
      discovery.DiscoveryRequest.encode({
        ...(node ? { node } : {}),
        type_url: type,
        resource_names: names,
        response_nonce: options.nonce ?? this.#lastNonce.get(type) ?? '',
        version_info: options.version ?? this.#lastVersion.get(type) ?? '',
        ...(options.error ? { error_detail: { code: 3, message: options.error } } : {}),
      }).finish(),
    );
  }

  sendRaw(bytes: Uint8Array): void {
    this.#call.write(Buffer.from(bytes));
  }

  lastNonce(type: string): string | undefined {
    return this.#lastNonce.get(type);
  }

  /** The next response in arrival order. */
  next(timeoutMs = 10_000): Promise<Response> {
    return this.#queue.next(timeoutMs);
  }

  /** The next response, which must be of `type`. */
  async nextOf(type: string): Promise<Response> {
    const response = await this.next();
    if (response.type !== type) throw new Error(`expected a ${type} response, got ${response.type} (${response.names.join(', ')})`);
    return response;
  }

  /**
   * Proves that nothing else was sent so far: subscribes to `probeName` of `probeType` (which
   * must exist and not be subscribed yet), requires that response to be the next one, then
   * unsubscribes again. The server answers in order, so anything sent before would come first.
   */
  async barrier(probeName: string, probeType: string = TypeUrl.Route): Promise<void> {
    this.request(probeType, [probeName]);
    const response = await this.next();
    if (response.type !== probeType || !response.names.includes(probeName)) {
      throw new Error(`unexpected response before the barrier: ${response.type} [${response.names.join(', ')}]`);
    }
    this.request(probeType, []);
  }

  /** Stops reading responses, like a stuck client (HTTP/2 flow control then backs up). */
  pause(): void {
    this.#call.pause();
  }

  resume(): void {
    this.#call.resume();
  }

  pending(): number {
    return this.#queue.size;
  }

  close(): void {
    this.#queue.end('the client is closed');
    this.#call.cancel();
    this.#client.close();
  }
}

export function nameOf(any: google.protobuf.IAny): string {
  const bytes = any.value ?? new Uint8Array();
  switch (any.type_url) {
    case TypeUrl.Listener: return envoy.config.listener.v3.Listener.decode(bytes).name;
    case TypeUrl.Route: return envoy.config.route.v3.RouteConfiguration.decode(bytes).name;
    case TypeUrl.Cluster: return envoy.config.cluster.v3.Cluster.decode(bytes).name;
    case TypeUrl.Endpoint: return envoy.config.endpoint.v3.ClusterLoadAssignment.decode(bytes).cluster_name;
    default: throw new Error(`unexpected resource type ${any.type_url}`);
  }
}
