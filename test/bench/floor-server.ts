// The raw-write floor of the fleet benchmark: a bare grpc-js server in a process of its own
// (started by fleet.ts with child_process.fork) that accepts the same ADS streams a control
// plane does and does nothing but write pre-encoded bytes. A subscription gets the response
// fleet.ts gave for its type; ACKs are read and ignored; on "push" it writes generation g's
// endpoints response, encoded once by fleet.ts, to every stream that asked for endpoints. No
// control plane on grpc-js can reach the clients faster than this.
import * as grpc from '@grpc/grpc-js';
import { rawMethod } from '../../control-plane/raw-method.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { readRequestHead } from './fleet-wire.ts';

export type FloorCommand =
  /** `initial`: a DiscoveryResponse per type URL; `pushes[g]`: generation g's endpoints response. */
  | { readonly op: 'start'; readonly initial: Readonly<Record<string, Uint8Array>>; readonly pushes: readonly Uint8Array[] }
  | { readonly op: 'push'; readonly generation: number }
  /** A full garbage collection (the process runs with --expose-gc). */
  | { readonly op: 'gc' }
  | { readonly op: 'stop' };

export type FloorReport =
  | { readonly op: 'listening'; readonly port: number; readonly pid: number }
  | { readonly op: 'pushed'; readonly generation: number; readonly streams: number; readonly writeMs: number }
  | { readonly op: 'collected'; readonly heapUsed: number }
  | { readonly op: 'error'; readonly message: string };

type AdsCall = grpc.ServerDuplexStream<Buffer, Buffer>;

const service = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

class FloorServer {
  readonly #server = new grpc.Server({ 'grpc.max_receive_message_length': -1 });
  readonly #initial: ReadonlyMap<string, Buffer>;
  readonly #pushes: readonly Buffer[];
  /** Streams that asked for endpoints: the ones a push goes to. */
  readonly #endpointStreams = new Set<AdsCall>();

  constructor(initial: Readonly<Record<string, Uint8Array>>, pushes: readonly Uint8Array[]) {
    this.#initial = new Map(Object.entries(initial).map(([type, bytes]) => [type, asBuffer(bytes)]));
    this.#pushes = pushes.map(asBuffer);
    this.#server.addService({ StreamAggregatedResources: rawMethod(service, 'StreamAggregatedResources', true) }, { StreamAggregatedResources: (call: AdsCall) => this.#serve(call) });
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) =>
      this.#server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
  }

  #serve(call: AdsCall): void {
    const forget = () => this.#endpointStreams.delete(call);
    call.on('data', (bytes: Buffer) => {
      const { typeUrl, acknowledges } = readRequestHead(bytes);
      if (acknowledges) return;
      const response = this.#initial.get(typeUrl);
      if (response) call.write(response);
      if (typeUrl === TypeUrl.Endpoint) this.#endpointStreams.add(call);
    });
    call.on('end', () => {
      forget();
      call.end();
    });
    call.on('cancelled', forget);
    call.on('error', forget);
  }

  push(generation: number): FloorReport {
    const bytes = this.#pushes[generation];
    if (!bytes) return { op: 'error', message: `no response for generation ${generation}` };
    const started = performance.now();
    for (const call of this.#endpointStreams) call.write(bytes);
    return { op: 'pushed', generation, streams: this.#endpointStreams.size, writeMs: performance.now() - started };
  }

  stop(): void {
    this.#server.forceShutdown();
  }
}

function send(report: FloorReport): void {
  process.send!(report);
}

if (process.send) {
  let floor: FloorServer | undefined;
  process.on('message', (command: FloorCommand) => {
    if (command.op === 'start') {
      floor = new FloorServer(command.initial, command.pushes);
      floor.listen().then(
        (port) => send({ op: 'listening', port, pid: process.pid }),
        (error: Error) => send({ op: 'error', message: error.message }),
      );
    } else if (command.op === 'push') {
      send(floor ? floor.push(command.generation) : { op: 'error', message: 'not started' });
    } else if (command.op === 'gc') {
      (globalThis as { gc?: () => void }).gc?.();
      send({ op: 'collected', heapUsed: process.memoryUsage().heapUsed });
    } else {
      floor?.stop();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
}
