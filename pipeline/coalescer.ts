// Gathers changed keys and hands them over in batches. A change that finds the coalescer
// quiet (no batch handed over within the window) goes out at once, with whatever else
// arrived in the same turn of the event loop: an isolated pod change costs no waiting.
// Changes that follow a batch within the window are gathered until no change has come for
// the window, and never longer than the max delay after the first of them: a burst costs
// one leading batch and then as few as it can. A batch whose flush is asynchronous holds the
// next one back until it is done: batches never overlap.
export interface CoalescerOptions {
  readonly windowMs: number;
  readonly maxDelayMs: number;
}

export class Coalescer {
  readonly #options: CoalescerOptions;
  readonly #flush: (keys: string[], since: number) => void | Promise<void>;
  readonly #pending = new Set<string>();
  /** performance.now() when the first pending key arrived. */
  #since = 0;
  /** performance.now() when the last batch was handed over (its flush done). */
  #lastHandOver = -Infinity;
  #leading?: NodeJS.Immediate;
  #quietTimer?: NodeJS.Timeout;
  #maxTimer?: NodeJS.Timeout;
  /** A batch handed over whose flush has not finished. */
  #inFlight = false;
  #stopped = false;

  /** `flush` gets the keys in the order they first changed, and when the first one did. */
  constructor(options: CoalescerOptions, flush: (keys: string[], since: number) => void | Promise<void>) {
    this.#options = options;
    this.#flush = flush;
  }

  add(keys: Iterable<string>): void {
    if (this.#stopped) return;
    const now = performance.now();
    if (this.#pending.size === 0) this.#since = now;
    for (const key of keys) this.#pending.add(key);
    if (this.#leading || this.#inFlight) return;
    this.#schedule(now);
  }

  #schedule(now: number): void {
    if (!this.#maxTimer && now - this.#lastHandOver >= this.#options.windowMs) {
      this.#leading = setImmediate(() => this.#handOver());
      return;
    }
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#handOver(), this.#options.windowMs);
    this.#maxTimer ??= setTimeout(() => this.#handOver(), Math.max(0, this.#since + this.#options.maxDelayMs - now));
  }

  stop(): void {
    this.#stopped = true;
    clearImmediate(this.#leading);
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
  }

  #handOver(): void {
    clearImmediate(this.#leading);
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
    this.#leading = this.#quietTimer = this.#maxTimer = undefined;
    if (this.#stopped || this.#pending.size === 0) return;
    const keys = [...this.#pending];
    this.#pending.clear();
    let flushed: void | Promise<void> = undefined;
    try {
      flushed = this.#flush(keys, this.#since);
    } finally {
      if (flushed) {
        this.#inFlight = true;
        void flushed.finally(() => this.#done());
      } else this.#done();
    }
  }

  #done(): void {
    this.#inFlight = false;
    this.#lastHandOver = performance.now();
    if (!this.#stopped && this.#pending.size > 0) this.#schedule(this.#lastHandOver);
  }
}
