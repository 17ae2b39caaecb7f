// One ADS stream driven by the fuzzer: it writes whatever bytes it is given and, after each
// case, asks a question only a live, healthy stream answers (the probe). The answer proves
// the server read the case and is still serving the stream; otherwise the stream has ended
// and its status says how.
import * as grpc from '@grpc/grpc-js';
import { TypeUrl, isTypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import { decodeDeltaResponse } from '../support/raw-delta-client.ts';
import { nameOf } from '../support/raw-ads-client.ts';
import { ResponseQueue } from '../support/response-queue.ts';
import type { Protocol } from './discovery-cases.ts';

const { DiscoveryRequest, DeltaDiscoveryRequest, DiscoveryResponse } = envoy.service.discovery.v3;
const paths: Record<Protocol, string> = {
  sotw: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  delta: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
};

/** What a probe found: the stream answered, or it had ended with this status. */
export type ProbeOutcome = { readonly answered: true } | { readonly answered: false; readonly status: grpc.StatusObject };

interface Seen {
  readonly type: string;
  /** SotW: resource names. Delta: resource names, and removed names after them. */
  readonly names: readonly string[];
  readonly removed: readonly string[];
}

export class FuzzStream {
  readonly protocol: Protocol;
  readonly #channel: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly #queue = new ResponseQueue<Seen>('response to the probe');
  readonly #probeRoute: string;
  #probes = 0;
  #status?: grpc.StatusObject;
  /** Responses that do not decode or carry a type the server does not serve: server bugs. */
  readonly problems: string[] = [];

  /**
   * `probeRoute`: a RouteConfiguration every class's snapshot has and no fuzz case names.
   * Each stream has a connection of its own, like a client: whatever one case does to its
   * connection cannot be blamed on the cases of other streams.
   */
  constructor(address: string, protocol: Protocol, probeRoute: string) {
    this.protocol = protocol;
    this.#probeRoute = probeRoute;
    this.#channel = new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const identity = (value: Buffer) => value;
    this.#call = this.#channel.makeBidiStreamRequest(paths[protocol], identity, identity);
    this.#call.on('data', (bytes: Buffer) => {
      try {
        this.#queue.push(this.#read(bytes));
      } catch (error) {
        this.problems.push(`a response that does not decode: ${(error as Error).message}`);
      }
    });
    this.#call.on('status', (status: grpc.StatusObject) => {
      this.#status = status;
      this.#queue.end('ended');
    });
    this.#call.on('error', () => {});
  }

  get ended(): boolean {
    return this.#status !== undefined;
  }

  send(bytes: Uint8Array): void {
    if (!this.ended) this.#call.write(Buffer.from(bytes));
  }

  /**
   * State of the world: drops every route, then names the probe route alone; the answer is
   * exactly that route. Delta: subscribes to a name that exists nowhere; the answer is its
   * removal, unique to this probe. The server handles a stream's requests in order, so the
   * answer also proves every request before it was read.
   */
  async probe(timeoutMs = 20_000): Promise<ProbeOutcome> {
    const absent = `absent-probe-${++this.#probes}`;
    if (this.protocol === 'sotw') {
      this.send(DiscoveryRequest.encode({ type_url: TypeUrl.Route, resource_names: [] }).finish());
      this.send(DiscoveryRequest.encode({ type_url: TypeUrl.Route, resource_names: [this.#probeRoute] }).finish());
    } else {
      this.send(DeltaDiscoveryRequest.encode({ type_url: TypeUrl.Route, resource_names_subscribe: [absent] }).finish());
    }
    const isAnswer = (seen: Seen) =>
      seen.type === TypeUrl.Route &&
      (this.protocol === 'sotw' ? seen.names.length === 1 && seen.names[0] === this.#probeRoute : seen.removed.includes(absent));
    for (;;) {
      let seen: Seen;
      try {
        seen = await this.#queue.next(timeoutMs);
      } catch (error) {
        if (this.#status) return { answered: false, status: this.#status };
        throw new Error(`the stream neither answered the probe nor ended: ${(error as Error).message}`);
      }
      if (isAnswer(seen)) return { answered: true };
    }
  }

  close(): void {
    this.#queue.end('closed');
    this.#call.cancel();
    this.#channel.close();
  }

  #read(bytes: Buffer): Seen {
    if (this.protocol === 'delta') {
      const response = decodeDeltaResponse(bytes);
      this.#checkType(response.type);
      return { type: response.type, names: response.resources.map((resource) => resource.name), removed: response.removed };
    }
    const response = DiscoveryResponse.decode(bytes);
    this.#checkType(response.type_url);
    return { type: response.type_url, names: (response.resources ?? []).map(nameOf), removed: [] };
  }

  #checkType(type: string): void {
    if (!isTypeUrl(type)) this.problems.push(`a response of a type the server does not serve: ${JSON.stringify(type.slice(0, 80))}`);
  }
}
