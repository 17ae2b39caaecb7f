// The limits the ADS server enforces so that no client, hostile or broken, can take more than
// its share. Going over one ends only the offending stream with RESOURCE_EXHAUSTED (its
// client reconnects and is served the current state) and is counted by limit. The defaults
// leave room for 10,000 Services and 1,000 clients; every one is a `kube-xds serve` flag.
import { limitExceeded } from '../common/errors.ts';

export const limitNames = [
  'streams',
  'streams-per-connection',
  'names-per-request',
  'names-per-stream',
  'request-bytes',
  'request-rate',
  'pending-response-bytes',
] as const;
export type LimitName = (typeof limitNames)[number];

export interface AdsLimits {
  /** Concurrent ADS streams on the whole server (a fleet of 1,000 clients holds 1,000). */
  readonly maxStreams: number;
  /** Concurrent ADS streams on one HTTP/2 connection (a client opens one or two). */
  readonly maxStreamsPerConnection: number;
  /** Resource names in one request: subscribed, unsubscribed and, on delta, held versions. */
  readonly maxNamesPerRequest: number;
  /** Resource names one stream subscribes to, over every type. */
  readonly maxNamesPerStream: number;
  /** One request's encoded size; delta reconnects of large clients send big ones. */
  readonly maxRequestBytes: number;
  /** Requests a stream may send per second, sustained... */
  readonly requestsPerSecond: number;
  /** ...and in a burst, above that rate. */
  readonly requestBurst: number;
  /**
   * Response bytes written to a stream that its client has not read yet. A client that stops
   * reading cannot make the server buffer every push: past this, its stream is closed.
   */
  readonly maxPendingResponseBytes: number;
}

export const defaultAdsLimits: AdsLimits = Object.freeze({
  maxStreams: 10_000,
  maxStreamsPerConnection: 100,
  // Envoy's EDS request names every cluster it holds: 10,000 Services with a few ports each.
  maxNamesPerRequest: 100_000,
  maxNamesPerStream: 200_000,
  maxRequestBytes: 16 * 1024 * 1024,
  // A push costs a client one request per type; pushes come at most every coalescing window.
  requestsPerSecond: 1_000,
  requestBurst: 2_000,
  maxPendingResponseBytes: 32 * 1024 * 1024,
});

/** A token bucket: `take()` is false once a stream sends faster than its rate and burst allow. */
export class RequestRate {
  readonly #perMs: number;
  readonly #burst: number;
  #tokens: number;
  #at = performance.now();

  constructor(perSecond: number, burst: number) {
    this.#perMs = perSecond / 1_000;
    this.#burst = burst;
    this.#tokens = burst;
  }

  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#at) * this.#perMs);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens--;
    return true;
  }
}

/** Throws the coded error that ends a stream when a request names more than allowed. */
export function checkRequestNames(limits: Pick<AdsLimits, 'maxNamesPerRequest'>, count: number): void {
  if (count > limits.maxNamesPerRequest) {
    throw limitExceeded('names-per-request', `a request names ${count} resources; at most ${limits.maxNamesPerRequest} are allowed (--max-names-per-request)`);
  }
}

export function checkStreamNames(limits: Pick<AdsLimits, 'maxNamesPerStream'>, count: number): void {
  if (count > limits.maxNamesPerStream) {
    throw limitExceeded('names-per-stream', `the stream subscribes to ${count} resources; at most ${limits.maxNamesPerStream} are allowed (--max-names-per-stream)`);
  }
}

