// Delivers changed Service keys to onChange listeners, one batch per burst: a relist or a
// chunk of watch events applies many objects synchronously, and listeners see one set.
// Closed until the initial sync: the initial state is read from services(), not replayed.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';

export type ChangeListener = (changed: ReadonlySet<string>) => void;

export class ChangeFeed {
  readonly #listeners: ChangeListener[] = [];
  #pending = new Set<string>();
  #open = false;
  #scheduled = false;

  subscribe(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  open(): void {
    this.#open = true;
  }

  close(): void {
    this.#open = false;
    this.#pending.clear();
  }

  add(keys: ReadonlySet<string>): void {
    if (!this.#open || keys.size === 0) return;
    for (const key of keys) this.#pending.add(key);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    if (!this.#open || this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Set();
    for (const listener of this.#listeners) {
      try {
        listener(batch);
      } catch (error) {
        log.error({ error: describeError(error) }, 'a model change listener failed');
      }
    }
  }
}
