// What the ADS server reports as it works, for metrics and the status page. The control
// plane only calls these; the entry point supplies an implementation (ops/ has it).
import type { LimitName } from './limits.ts';
import type { NackRecord } from './stream-status.ts';
import type { TypeUrl } from './types.ts';

/** Who a stream's client is, in bounded terms fit for metric labels. */
export interface ClientLabels {
  readonly protocol: 'sotw' | 'delta';
  /** The client class (snapshot) it is served; undefined before its first request. */
  readonly nodeClass?: string;
  /** `name/version` from node.user_agent_name and user_agent_version. */
  readonly userAgent?: string;
}

/** The client of a stream, for events that name it (logs, the page), never for labels. */
export interface ClientIdentity extends ClientLabels {
  readonly stream: number;
  readonly nodeId?: string;
}

export interface AdsObserver {
  /** A response was handed to the transport; `propagationMs` when a model change caused it. */
  responseWritten(type: TypeUrl, bytes: number, propagationMs: number | undefined): void;
  /** A model change was pushed to every stream concerned: `sinceMs` from its arrival to the last write. */
  pushed(sinceMs: number, streamsReached: number): void;
  nacked(type: TypeUrl, client: ClientIdentity, nack: NackRecord): void;
  /** A stream asked for a name that does not exist (reported once per stream and name). */
  unresolved(type: TypeUrl, client: ClientIdentity, name: string, didYouMean: readonly string[]): void;
  /** A stream ended; `reason` as its "client disconnected" log line gives it. */
  streamClosed(client: ClientLabels, reason: string): void;
  /** A client went over a limit: its stream was refused or ended with RESOURCE_EXHAUSTED. */
  limitExceeded(limit: LimitName): void;
}

export const noObserver: AdsObserver = Object.freeze({
  responseWritten() {},
  pushed() {},
  nacked() {},
  unresolved() {},
  streamClosed() {},
  limitExceeded() {},
});

/** One observer that tells several. */
export function fanOut(...observers: readonly AdsObserver[]): AdsObserver {
  return {
    responseWritten: (...args) => observers.forEach((observer) => observer.responseWritten(...args)),
    pushed: (...args) => observers.forEach((observer) => observer.pushed(...args)),
    nacked: (...args) => observers.forEach((observer) => observer.nacked(...args)),
    unresolved: (...args) => observers.forEach((observer) => observer.unresolved(...args)),
    streamClosed: (...args) => observers.forEach((observer) => observer.streamClosed(...args)),
    limitExceeded: (...args) => observers.forEach((observer) => observer.limitExceeded(...args)),
  };
}
