// A client calling continuously in the background, as a real workload would, counting where
// calls land and how many fail.
import type * as grpc from '@grpc/grpc-js';
import { callHello } from '../../bin/demo/echo.ts';
import { sleep } from './wait.ts';

export class CallLoop {
  readonly byBackend = new Map<string, number>();
  readonly errors: string[] = [];
  /** The last backends that answered, newest last. */
  readonly recent: string[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(client: grpc.Client, { pauseMs = 2, recentSize = 50 } = {}) {
    this.#done = (async () => {
      while (this.#running) {
        try {
          const name = await callHello(client);
          this.byBackend.set(name, (this.byBackend.get(name) ?? 0) + 1);
          this.recent.push(name);
          if (this.recent.length > recentSize) this.recent.shift();
        } catch (error) {
          this.errors.push((error as Error).message);
        }
        await sleep(pauseMs);
      }
    })();
  }

  get calls(): number {
    let total = this.errors.length;
    for (const count of this.byBackend.values()) total += count;
    return total;
  }

  /** True once the last `window` calls all landed on backends in `names`. */
  settledOn(names: ReadonlySet<string>, window = 30): boolean {
    return this.recent.length >= window && this.recent.slice(-window).every((name) => names.has(name));
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }
}
