// Warnings about refused streams, calls and requests, kept few: at most one per key (a limit,
// a client identity) every 10 s, with the number left unsaid, so a client retrying in a loop
// cannot flood the log.
import { log } from '../common/log.ts';

const warnEveryMs = 10_000;
/** Keys remembered at most; past this, all are forgotten (keys may come from clients). */
const keysKept = 1_000;

export class RefusalWarnings {
  readonly #last = new Map<string, { at: number; unsaid: number }>();

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    const now = performance.now();
    const last = this.#last.get(key);
    if (last && now - last.at < warnEveryMs) {
      last.unsaid++;
      return;
    }
    if (!last && this.#last.size >= keysKept) this.#last.clear();
    log.warn({ ...fields, refusedUnsaid: last?.unsaid || undefined }, message);
    this.#last.set(key, { at: now, unsaid: 0 });
  }
}
