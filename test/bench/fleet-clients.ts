// The fleet benchmark's clients: a process of their own (started by fleet.ts with
// child_process.fork) that plays N proxyless gRPC clients, each with its own HTTP/2
// connection, against whichever server fleet.ts names. Like a gRPC client, a stream asks for
// one Service's listener, then its route, then its cluster, then its endpoints (each after
// the previous arrived), and ACKs every response. It reports over IPC when every stream holds
// all four, and each endpoints response as (stream, generation, arrival time) in batches.
//
// This process is the bottleneck the raw-write floor measures, so it decodes only the fields
// it needs (fleet-wire.ts), takes the arrival time before any work, and batches its messages.
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import { grpcNode } from '../support/raw-ads-client.ts';
import { endpointGeneration, field, readResponseHead, RequestField } from './fleet-wire.ts';

export interface FleetNames {
  readonly listener: string;
  readonly route: string;
  readonly cluster: string;
  readonly endpoint: string;
}

export type ClientCommand =
  | { readonly op: 'connect'; readonly fleet: number; readonly address: string; readonly streams: number; readonly names: FleetNames }
  | { readonly op: 'close'; readonly fleet: number }
  | { readonly op: 'status' };

export type ClientReport =
  /** Every stream holds a listener, route, cluster and endpoints; times are wall clock ms. */
  | { readonly op: 'configured'; readonly fleet: number; readonly startedAt: number; readonly configuredAt: Float64Array; readonly failures: readonly string[] }
  /** Endpoints responses: stream, generation (-1: none recognised), arrival time; in triples. */
  | { readonly op: 'eds'; readonly fleet: number; readonly arrivals: Float64Array }
  | { readonly op: 'status'; readonly fleet: number; readonly streams: number; readonly configured: number; readonly failures: readonly string[]; readonly cpuMs: number }
  | { readonly op: 'closed'; readonly fleet: number; readonly cpuMs: number };

/** In the order a gRPC client asks for them. */
const chain = [TypeUrl.Listener, TypeUrl.Route, TypeUrl.Cluster, TypeUrl.Endpoint] as const;
const typeIndex = new Map<string, number>(chain.map((type, i) => [type, i]));
const allTypes = (1 << chain.length) - 1;
const endpointIndex = chain.length - 1;
const adsPath = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const identity = (value: Buffer) => value;
const channelOptions: grpc.ChannelOptions = {
  // One HTTP/2 connection per stream, as a fleet of client pods has: grpc-js would otherwise
  // share one subchannel (and connection) among every channel of this process.
  'grpc.use_local_subchannel_pool': 1,
  'grpc.max_receive_message_length': -1,
};
const flushMs = 10;

interface Stream {
  readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;
  /** Bit i: a response of chain[i] with a resource arrived. */
  held: number;
}

interface Arrival {
  readonly stream: number;
  readonly bytes: Buffer;
  readonly at: number;
}

const wallNow = () => performance.timeOrigin + performance.now();

class Fleet {
  readonly id: number;
  readonly #channels: grpc.Client[] = [];
  readonly #streams: Stream[] = [];
  /** Per type: resource_names and type_url of every request of that type, encoded once. */
  readonly #subscription: Buffer[];
  readonly startedAt = wallNow();
  readonly configuredAt: Float64Array;
  configured = 0;
  readonly failures: string[] = [];
  #closing = false;
  #arrived: Arrival[] = [];
  #edsOut: number[] = [];
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(id: number, address: string, count: number, names: FleetNames) {
    this.id = id;
    const byType = [names.listener, names.route, names.cluster, names.endpoint];
    this.#subscription = chain.map((type, i) => Buffer.concat([field(RequestField.names, byType[i]!), field(RequestField.typeUrl, type)]));
    this.configuredAt = new Float64Array(count).fill(NaN);
    // Every stream starts at once: the connect storm.
    for (let s = 0; s < count; s++) this.#open(s, address);
  }

  get streams(): number {
    return this.#streams.length;
  }

  #open(s: number, address: string): void {
    const channel = new grpc.Client(address, grpc.credentials.createInsecure(), channelOptions);
    this.#channels.push(channel);
    const call = channel.makeBidiStreamRequest(adsPath, identity, identity);
    this.#streams.push({ call, held: 0 });
    call.on('data', (bytes: Buffer) => {
      this.#arrived.push({ stream: s, bytes, at: wallNow() });
      if (this.#arrived.length === 1) setImmediate(() => this.#drain());
    });
    call.on('status', (status: grpc.StatusObject) => {
      if (!this.#closing) this.failures.push(`stream ${s}: ${grpc.status[status.code]} ${status.details}`);
    });
    call.on('error', () => {});
    const node = envoy.config.core.v3.Node.encode(grpcNode(`fleet-${this.id}-${s}`)).finish();
    call.write(Buffer.concat([field(RequestField.node, node), this.#subscription[0]!]));
  }

  /** Decoding and ACKing wait for the batch, so one stream's time does not include the others' work. */
  #drain(): void {
    const batch = this.#arrived;
    this.#arrived = [];
    for (const { stream: s, bytes, at } of batch) {
      if (this.#closing) return;
      const stream = this.#streams[s]!;
      const head = readResponseHead(bytes);
      const index = typeIndex.get(head.typeUrl);
      if (index === undefined) continue;
      stream.call.write(Buffer.concat([field(RequestField.version, head.version), this.#subscription[index]!, field(RequestField.nonce, head.nonce)]));
      if (head.resources > 0 && (stream.held & (1 << index)) === 0) {
        stream.held |= 1 << index;
        if (index < endpointIndex) stream.call.write(this.#subscription[index + 1]!);
        if (stream.held === allTypes) this.#configured(s, at);
      }
      if (index === endpointIndex) {
        this.#edsOut.push(s, endpointGeneration(bytes, head), at);
        this.#flushTimer ??= setTimeout(() => this.#flush(), flushMs);
      }
    }
  }

  #configured(s: number, at: number): void {
    this.configuredAt[s] = at;
    if (++this.configured === this.#streams.length) {
      send({ op: 'configured', fleet: this.id, startedAt: this.startedAt, configuredAt: this.configuredAt, failures: this.failures.slice(0, 5) });
    }
  }

  #flush(): void {
    this.#flushTimer = undefined;
    if (this.#edsOut.length === 0 || this.#closing) return;
    send({ op: 'eds', fleet: this.id, arrivals: Float64Array.from(this.#edsOut) });
    this.#edsOut = [];
  }

  close(): void {
    this.#closing = true;
    clearTimeout(this.#flushTimer);
    for (const { call } of this.#streams) call.cancel();
    for (const channel of this.#channels) channel.close();
  }
}

function send(report: ClientReport): void {
  process.send!(report);
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
}

if (process.send) {
  let fleet: Fleet | undefined;
  process.on('message', (command: ClientCommand) => {
    switch (command.op) {
      case 'connect':
        fleet?.close();
        fleet = new Fleet(command.fleet, command.address, command.streams, command.names);
        break;
      case 'close':
        fleet?.close();
        fleet = undefined;
        // Let the cancellations and GOAWAYs reach the sockets before saying so.
        setTimeout(() => send({ op: 'closed', fleet: command.fleet, cpuMs: cpuMs() }), 50);
        break;
      case 'status':
        send({ op: 'status', fleet: fleet?.id ?? -1, streams: fleet?.streams ?? 0, configured: fleet?.configured ?? 0, failures: fleet?.failures.slice(0, 5) ?? [], cpuMs: cpuMs() });
        break;
    }
  });
  // The benchmark is gone (or done): nothing left to do here.
  process.on('disconnect', () => process.exit(0));
}
