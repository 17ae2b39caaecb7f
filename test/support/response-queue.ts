// Responses a raw test client received and has not read yet, and a wait for the next one
// that fails at once when the stream can give none (closed, or ended with a status).
export class ResponseQueue<T> {
  readonly #items: T[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly #what: string;
  /** Why no response can come any more, once that is so. */
  #over?: string;

  constructor(what: string) {
    this.#what = what;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#wake();
  }

  /** No response can come any more, because of `why`. */
  end(why: string): void {
    this.#over ??= why;
    this.#wake();
  }

  get size(): number {
    return this.#items.length;
  }

  async next(timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (this.#items.length === 0) {
      if (this.#over) throw new Error(this.#over);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a ${this.#what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.#items.shift()!;
  }

  #wake(): void {
    this.#waiters.splice(0).forEach((wake) => wake());
  }
}
