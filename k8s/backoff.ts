// Exponential backoff with jitter for restarting watches. It resets after a quiet spell
// rather than after one success, so a server that accepts and then drops every watch is not
// hammered with relists at the initial rate.

export interface BackoffOptions {
  /** The first delay, before jitter. */
  readonly initialMs: number;
  /** The ceiling, before jitter. */
  readonly maxMs: number;
  /** A failure this long after the previous one starts again from initialMs (default 6 × maxMs). */
  readonly resetAfterMs?: number;
}

export const defaultBackoff: BackoffOptions = { initialMs: 100, maxMs: 10_000 };

export class Backoff {
  readonly #options: BackoffOptions;
  #attempt = 0;
  #lastFailure = -Infinity;

  constructor(options: BackoffOptions) {
    this.#options = options;
  }

  /** The delay before the next retry: between half and all of the current step. */
  next(now = Date.now()): number {
    const { initialMs, maxMs, resetAfterMs = 6 * maxMs } = this.#options;
    if (now - this.#lastFailure > resetAfterMs) this.#attempt = 0;
    this.#lastFailure = now;
    const step = Math.min(maxMs, initialMs * 2 ** Math.min(this.#attempt++, 30));
    return Math.round(step / 2 + (Math.random() * step) / 2);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (a source or writer stopping). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
