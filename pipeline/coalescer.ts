// Gathers changed keys and hands them over as one batch once no change has come for the
// window, and never later than the max delay after the first change of the batch.
export interface CoalescerOptions {
  readonly windowMs: number;
  readonly maxDelayMs: number;
}

export class Coalescer {
  readonly #options: CoalescerOptions;
  readonly #flush: (keys: string[], since: number) => void;
  readonly #pending = new Set<string>();
  /** performance.now() when the first pending key arrived. */
  #since = 0;
  #quietTimer?: NodeJS.Timeout;
  #maxTimer?: NodeJS.Timeout;
  #stopped = false;

  /** `flush` gets the keys in the order they first changed, and when the first one did. */
  constructor(options: CoalescerOptions, flush: (keys: string[], since: number) => void) {
    this.#options = options;
    this.#flush = flush;
  }

  add(keys: Iterable<string>): void {
    if (this.#stopped) return;
    if (this.#pending.size === 0) this.#since = performance.now();
    for (const key of keys) this.#pending.add(key);
    clearTimeout(this.#quietTimer);
    this.#quietTimer = setTimeout(() => this.#handOver(), this.#options.windowMs);
    this.#maxTimer ??= setTimeout(() => this.#handOver(), this.#options.maxDelayMs);
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
  }

  #handOver(): void {
    clearTimeout(this.#quietTimer);
    clearTimeout(this.#maxTimer);
    this.#quietTimer = this.#maxTimer = undefined;
    if (this.#stopped || this.#pending.size === 0) return;
    const keys = [...this.#pending];
    this.#pending.clear();
    this.#flush(keys, this.#since);
  }
}
