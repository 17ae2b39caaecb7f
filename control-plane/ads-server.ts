// The gRPC server for AggregatedDiscoveryService, state of the world and incremental (delta)
// alike. A failure handling a request turns into a clear status for that stream alone;
// responses arrive already encoded.
import * as grpc from '@grpc/grpc-js';
import { describeError, ErrorCode, KubeXdsError, limitExceeded } from '../common/errors.ts';
import { shortened } from '../common/text.ts';
import type { NodeClassifier } from './client-profile.ts';
import { DeltaStream } from './delta-stream.ts';
import { defaultAdsLimits, RequestRate, type AdsLimits, type LimitName } from './limits.ts';
import { noObserver, type AdsObserver } from './observer.ts';
import { rawMethod } from './raw-method.ts';
import { RefusalWarnings } from './refusal-warnings.ts';
import type { SnapshotCache } from './snapshot-cache.ts';
import { SotwStream } from './sotw-stream.ts';
import type { StreamStatus } from './stream-status.ts';
import type { StreamContext, XdsStream } from './xds-stream.ts';

/** A connected client as other services on the xDS port (CSDS) and the admin views see it. */
export type ClientView = Pick<XdsStream, 'status' | 'node' | 'held' | 'snapshotName'>;

export interface AdsServerOptions extends AdsLimits {
  readonly keepaliveTimeMs: number;
  readonly keepaliveTimeoutMs: number;
  /** Connections are closed after this age so clients rebalance across replicas. */
  readonly maxConnectionAgeMs: number;
  /** How long an aged connection's streams may finish; grpc-js waits forever by default. */
  readonly maxConnectionAgeGraceMs: number;
  /** Sent as DiscoveryResponse.control_plane.identifier. */
  readonly controlPlaneId: string;
}

export const defaultAdsServerOptions: AdsServerOptions = Object.freeze({
  ...defaultAdsLimits,
  keepaliveTimeMs: 30_000,
  keepaliveTimeoutMs: 10_000,
  maxConnectionAgeMs: 30 * 60_000,
  maxConnectionAgeGraceMs: 60_000,
  controlPlaneId: 'kube-xds',
});

const ads = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const adsServiceDefinition: grpc.ServiceDefinition = {
  StreamAggregatedResources: rawMethod(ads, 'StreamAggregatedResources', true),
  DeltaAggregatedResources: rawMethod(ads, 'DeltaAggregatedResources', true),
};

type AdsCall = grpc.ServerDuplexStream<Buffer, Buffer>;

const statusMessageLength = 1_024;

/** How a stream ended, as its "client disconnected" line gives it. */
type EndReason =
  | 'end' // the client closed its side; answered with OK
  | 'cancelled' // the client cancelled the stream, or its connection dropped or aged out
  | 'error' // the transport failed
  | ServerCloseReason
  | 'shutdown';
/** The server ended the stream with a status. */
type ServerCloseReason = 'bad-request' | 'internal-error' | 'not-reading' | 'over-limit';

export class AdsServer {
  readonly #cache: SnapshotCache;
  readonly #options: AdsServerOptions;
  readonly #classify: NodeClassifier;
  readonly #streams = new Map<AdsCall, XdsStream>();
  /** ADS streams open per connection, by peer address (one TCP connection each). */
  readonly #streamsPerPeer = new Map<string, number>();
  readonly #refusals = new RefusalWarnings();
  readonly #observer: AdsObserver;
  readonly #services: { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }[] = [];
  /** While a snapshot is pushed: when the model change it carries arrived. */
  #pushSince?: number;
  #server?: grpc.Server;
  #unsubscribe?: () => void;
  #nextStreamId = 1;
  /** `classify` decides which snapshot each client is served, from its node. */
  constructor(cache: SnapshotCache, classify: NodeClassifier, options: Partial<AdsServerOptions> = {}, observer: AdsObserver = noObserver) {
    this.#cache = cache;
    this.#classify = classify;
    this.#options = Object.freeze({ ...defaultAdsServerOptions, ...options });
    this.#observer = observer;
  }

  /** Serves another gRPC service on the xDS port (CSDS); call before start. */
  addService(definition: grpc.ServiceDefinition, implementation: grpc.UntypedServiceImplementation): void {
    if (this.#server) throw new Error('services are added before the server starts');
    this.#services.push({ definition, implementation });
  }

  /** Binds `host:port` in plaintext (port 0 picks one) and resolves with the bound port. */
  start(address: string): Promise<number>;
  /**
   * Binds each listener with its credentials, in order, and resolves with their bound ports.
   * One that cannot bind fails the start and leaves none listening.
   */
  start(listeners: readonly AdsListener[]): Promise<number[]>;
  async start(listeners: string | readonly AdsListener[]): Promise<number | number[]> {
    if (this.#server) throw new Error('ADS server already started');
    const wanted = typeof listeners === 'string' ? [{ address: listeners }] : listeners;
    if (wanted.length === 0) throw new Error('the ADS server needs an address to listen on');
    const options = this.#options;
    const server = new grpc.Server({
      // grpc-js's own channelz bookkeeping costs memory on every connection, and nothing here
      // serves it: streams are reported by /debug/clients, CSDS and the metrics.
      'grpc.enable_channelz': 0,
      'grpc.max_receive_message_length': options.maxRequestBytes,
      'grpc.keepalive_time_ms': options.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs,
      'grpc.max_connection_age_ms': options.maxConnectionAgeMs,
      'grpc.max_connection_age_grace_ms': options.maxConnectionAgeGraceMs,
      interceptors: [this.#countOversizedRequests],
    });
    server.addService(adsServiceDefinition, {
      StreamAggregatedResources: (call: AdsCall) => this.#accept(call, (context) => new SotwStream(context)),
      DeltaAggregatedResources: (call: AdsCall) => this.#accept(call, (context) => new DeltaStream(context)),
    });
    for (const { definition, implementation } of this.#services) server.addService(definition, implementation);
    this.#server = server;
    this.#unsubscribe = this.#cache.subscribe((name, snapshot, changes, cause) => {
      let streamsReached = 0;
      this.#pushSince = cause?.since;
      try {
        for (const [call, stream] of this.#streams) {
          if (stream.snapshotName !== name) continue;
          if (this.#guard(call, stream, () => stream.onSnapshot(snapshot, changes))) streamsReached++;
        }
      } finally {
        this.#pushSince = undefined;
      }
      if (cause && streamsReached > 0) this.#observer.pushed(performance.now() - cause.since, streamsReached);
      return streamsReached;
    });
    const ports: number[] = [];
    try {
      for (const listener of wanted) ports.push(await bind(server, listener));
    } catch (error) {
      this.#server = undefined;
      this.#unsubscribe?.();
      server.forceShutdown();
      throw error;
    }
    return typeof listeners === 'string' ? ports[0]! : ports;
  }

  /** Ends every stream (clients reconnect elsewhere) and stops accepting new ones. */
  async stop(graceMs = 1_000): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    this.#unsubscribe?.();
    for (const [call, stream] of this.#streams) {
      this.#ended(call, stream, 'shutdown');
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'control plane shutting down' });
    }
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, graceMs);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  streams(): StreamStatus[] {
    return [...this.#streams.values()].map((stream) => stream.status());
  }

  clients(): ClientView[] {
    return [...this.#streams.values()];
  }

  #accept(call: AdsCall, create: (context: StreamContext) => XdsStream): void {
    const options = this.#options;
    const peer = call.getPeer();
    const refusal = this.#refusal(peer);
    if (refusal) {
      this.#observer.limitExceeded(refusal.limit);
      this.#refusals.warn(refusal.limit, { peer, limit: refusal.limit }, `stream refused: ${refusal.details}`);
      call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: refusal.details });
      return;
    }
    let pendingBytes = 0;
    const rate = new RequestRate(options.requestsPerSecond, options.requestBurst);
    const stream: XdsStream = create({
      id: this.#nextStreamId++,
      peer,
      controlPlane: options.controlPlaneId,
      limits: options,
      classify: this.#classify,
      snapshotOf: (name) => this.#cache.get(name),
      observer: this.#observer,
      write: (type, response) => {
        if (call.destroyed || call.writableEnded || !this.#streams.has(call)) return false;
        if (pendingBytes + response.length > options.maxPendingResponseBytes) {
          this.#observer.limitExceeded('pending-response-bytes');
          this.#close(call, stream, 'not-reading', grpc.status.RESOURCE_EXHAUSTED, `the client is not reading its responses (${pendingBytes} bytes pending; --max-pending-response-bytes)`);
          return false;
        }
        pendingBytes += response.length;
        call.write(response, () => (pendingBytes -= response.length));
        const since = this.#pushSince;
        this.#observer.responseWritten(type, response.length, since === undefined ? undefined : performance.now() - since);
        return true;
      },
    });
    this.#streams.set(call, stream);
    this.#streamsPerPeer.set(peer, (this.#streamsPerPeer.get(peer) ?? 0) + 1);
    call.on('data', (bytes: Buffer) => {
      if (!this.#streams.has(call)) return;
      this.#guard(call, stream, () => {
        if (!rate.take()) throw limitExceeded('request-rate', `the client sends more than ${options.requestsPerSecond} requests a second (burst ${options.requestBurst}; --max-requests-per-second)`);
        stream.handleRequest(bytes);
      });
    });
    // grpc-js emits 'cancelled' and 'close' after every end, this server's own too: the first
    // sign decides the reason. It also ends a stream's input just before it reports a reset or
    // a dropped connection, so an end is the client's own only if no cancellation follows
    // within the same I/O. (A Node client's cancel is END_STREAM, then RST_STREAM a moment
    // later: it is usually logged as an end.)
    call.on('end', () =>
      setImmediate(() => {
        if (this.#ended(call, stream, 'end')) call.end();
      }),
    );
    call.on('cancelled', () => this.#ended(call, stream, 'cancelled'));
    call.on('error', (error: unknown) => this.#ended(call, stream, 'error', { details: describeError(error) }));
    call.on('close', () => this.#ended(call, stream, 'cancelled'));
  }

  /**
   * grpc-js itself refuses a request over --max-request-bytes with RESOURCE_EXHAUSTED, from
   * inside its base call where no interceptor's responder sees it. So the base call's own
   * sendStatus is wrapped, on that call only, to count and log the refusal as it goes out.
   */
  readonly #countOversizedRequests: grpc.ServerInterceptor = (_method, call) => {
    const sendStatus = call.sendStatus.bind(call);
    call.sendStatus = (status) => {
      if (status.code === grpc.status.RESOURCE_EXHAUSTED && /^Received message (larger|that decompresses)/.test(status.details)) {
        this.#observer.limitExceeded('request-bytes');
        this.#refusals.warn('request-bytes', { peer: call.getPeer(), limit: 'request-bytes' }, `request refused: ${status.details} (--max-request-bytes)`);
      }
      sendStatus(status);
    };
    // grpc-js chains interceptors through the interface; its type names the class only.
    return call as grpc.ServerInterceptingCall;
  };

  /** Why a new stream from `peer` is refused, if it is: a limit on streams it would go over. */
  #refusal(peer: string): { limit: LimitName; details: string } | undefined {
    const { maxStreams, maxStreamsPerConnection } = this.#options;
    if (this.#streams.size >= maxStreams) return { limit: 'streams', details: `the control plane serves its maximum of ${maxStreams} streams (--max-streams); try another replica` };
    if ((this.#streamsPerPeer.get(peer) ?? 0) >= maxStreamsPerConnection) {
      return { limit: 'streams-per-connection', details: `this connection has its maximum of ${maxStreamsPerConnection} ADS streams open (--max-streams-per-connection)` };
    }
    return undefined;
  }

  /** Runs protocol work for one stream; a failure ends that stream only, with a status. */
  #guard<T>(call: AdsCall, stream: XdsStream, work: () => T): T | undefined {
    try {
      return work();
    } catch (error) {
      if (error instanceof KubeXdsError && error.code === ErrorCode.LimitExceeded) {
        this.#observer.limitExceeded(error.context.limit as LimitName);
        this.#close(call, stream, 'over-limit', grpc.status.RESOURCE_EXHAUSTED, error.message);
      } else if (error instanceof KubeXdsError) this.#close(call, stream, 'bad-request', grpc.status.INVALID_ARGUMENT, describeError(error));
      else this.#close(call, stream, 'internal-error', grpc.status.INTERNAL, describeError(error));
      return undefined;
    }
  }

  #close(call: AdsCall, stream: XdsStream, reason: ServerCloseReason, code: grpc.status, message: string): void {
    // A status message quoting what the client sent could be megabytes: past the client's
    // header limit, its whole connection is reset, with every other stream on it.
    const details = shortened(message, statusMessageLength);
    if (!this.#ended(call, stream, reason, { level: code === grpc.status.INTERNAL ? 'error' : 'warn', details })) return;
    call.emit('error', { code, details });
  }

  /** Forgets a stream and logs how it ended; false when it had ended already. */
  #ended(call: AdsCall, stream: XdsStream, reason: EndReason, how: { level?: 'info' | 'warn' | 'error'; details?: string } = {}): boolean {
    if (!this.#streams.delete(call)) return false;
    const peer = stream.peer;
    const open = (this.#streamsPerPeer.get(peer) ?? 1) - 1;
    if (open > 0) this.#streamsPerPeer.set(peer, open);
    else this.#streamsPerPeer.delete(peer);
    stream.logEnd(reason, how.level ?? 'info', how.details);
    this.#observer.streamClosed(stream.identity(), reason);
    return true;
  }
}

/** An address the ADS server listens on, with its transport security (plaintext without credentials). */
export interface AdsListener {
  readonly address: string;
  readonly credentials?: grpc.ServerCredentials;
}

/** Resolves with the bound port; a failure carries the `address` it was for. */
function bind(server: grpc.Server, { address, credentials = grpc.ServerCredentials.createInsecure() }: AdsListener): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) => (error ? reject(Object.assign(withSystemErrorCode(error), { address })) : resolve(port))),
  );
}

/**
 * grpc-js reports a failed bind as text only ("No address added ... errors: [listen
 * EADDRINUSE: address already in use ...]"); this gives it the `code` net.Server's errors carry.
 */
function withSystemErrorCode(error: Error): Error {
  const code = /\blisten (E[A-Z]+)\b/.exec(error.message)?.[1];
  return code ? Object.assign(error, { code }) : error;
}
