// Many ADS streams at once, cheap enough that one thread can play hundreds of clients: each
// stream sends its subscriptions, ACKs every response, and hands each response to a callback
// with the time it arrived (taken before any decoding: responses are decoded and ACKed in a
// batch right after, so one stream's time does not include the others'). Streams are spread over a
// chosen number of HTTP/2 connections: grpc-js pools subchannels per process, so without
// `grpc.use_local_subchannel_pool` every client in this process would share one connection
// (test/support/raw-ads-client.ts does, which suits tests but not a fleet).
import * as grpc from '@grpc/grpc-js';
import { envoy } from '../../generated/envoy.js';
import { wallNow } from './stats.ts';

const discovery = envoy.service.discovery.v3;
const adsPath = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const identity = (value: Buffer) => value;

export type Node = envoy.config.core.v3.INode;
export type DiscoveryResponse = envoy.service.discovery.v3.DiscoveryResponse;

export interface Subscription {
  readonly type: string;
  readonly names: readonly string[];
}

export interface LoadClientOptions {
  readonly address: string;
  readonly streams: number;
  /** HTTP/2 connections the streams are spread over (round-robin). */
  readonly connections: number;
  readonly node: (stream: number) => Node;
  /** Sent in this order on the first requests of every stream. */
  readonly subscriptions: (stream: number) => readonly Subscription[];
  /** Called for every response; `at` is wallNow() when its bytes were handed over by grpc-js. */
  readonly onResponse: (stream: number, response: DiscoveryResponse, at: number, size: number) => void;
}

interface Arrival {
  readonly stream: number;
  readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly bytes: Buffer;
  readonly at: number;
}

export class LoadClients {
  readonly #options: LoadClientOptions;
  readonly #channels: grpc.Client[] = [];
  readonly #calls: grpc.ClientDuplexStream<Buffer, Buffer>[] = [];
  /** Streams that ended with a status (a failure while the bench runs). */
  readonly failures: string[] = [];
  #closing = false;
  #arrived: Arrival[] = [];

  constructor(options: LoadClientOptions) {
    this.#options = options;
    const channelOptions: grpc.ChannelOptions = {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    };
    for (let c = 0; c < options.connections; c++) {
      this.#channels.push(new grpc.Client(options.address, grpc.credentials.createInsecure(), channelOptions));
    }
    for (let s = 0; s < options.streams; s++) this.#open(s);
  }

  get streams(): number {
    return this.#calls.length;
  }

  #open(stream: number): void {
    const channel = this.#channels[stream % this.#channels.length]!;
    const call = channel.makeBidiStreamRequest(adsPath, identity, identity);
    this.#calls.push(call);
    // Only the arrival time is taken in the 'data' handler: decoding and ACKing wait for the
    // batch below, so a stream's time does not include the decoding of the streams before it.
    call.on('data', (bytes: Buffer) => {
      this.#arrived.push({ stream, call, bytes, at: wallNow() });
      if (this.#arrived.length === 1) setImmediate(() => this.#drain());
    });
    call.on('status', (status: grpc.StatusObject) => {
      if (!this.#closing) this.failures.push(`stream ${stream}: ${grpc.status[status.code]} ${status.details}`);
    });
    call.on('error', () => {});
    let node: Node | undefined = this.#options.node(stream);
    for (const { type, names } of this.#options.subscriptions(stream)) {
      call.write(request(node, type, names, '', ''));
      node = undefined; // like gRPC clients: node only on the first request
    }
  }

  #drain(): void {
    const batch = this.#arrived;
    this.#arrived = [];
    for (const { stream, call, bytes, at } of batch) {
      const response = discovery.DiscoveryResponse.decode(bytes);
      // ACK every response, as a client that accepts everything does.
      const names = this.#options.subscriptions(stream).find((s) => s.type === response.type_url)?.names ?? [];
      if (!this.#closing) call.write(request(undefined, response.type_url, names, response.nonce, response.version_info));
      this.#options.onResponse(stream, response, at, bytes.length);
    }
  }

  close(): void {
    this.#closing = true;
    for (const call of this.#calls) call.cancel();
    for (const channel of this.#channels) channel.close();
  }
}

function request(node: Node | undefined, type: string, names: readonly string[], nonce: string, version: string): Buffer {
  const bytes = discovery.DiscoveryRequest.encode({
    ...(node ? { node } : {}),
    type_url: type,
    resource_names: [...names],
    response_nonce: nonce,
    version_info: version,
  }).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The addresses of a ClusterLoadAssignment response's first resource, in response order. */
export function endpointAddresses(response: DiscoveryResponse): string[] {
  const any = response.resources[0];
  if (!any?.value) return [];
  const assignment = envoy.config.endpoint.v3.ClusterLoadAssignment.decode(any.value);
  const addresses: string[] = [];
  for (const locality of assignment.endpoints) {
    for (const lb of locality.lb_endpoints ?? []) {
      const address = lb.endpoint?.address?.socket_address?.address;
      if (address) addresses.push(address);
    }
  }
  return addresses;
}
