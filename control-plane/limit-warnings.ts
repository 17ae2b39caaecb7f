// Warnings about streams and requests refused by a limit, kept few.
import { log } from '../common/log.ts';
import type { LimitName } from './limits.ts';

/**
 * Warnings about streams and requests refused, at most one per limit every 10 s with the number left
 * unsaid: a client retrying in a loop must not flood the log.
 */
export class LimitWarnings {
  readonly #last = new Map<LimitName, { at: number; unsaid: number }>();

  warn(limit: LimitName, fields: Record<string, unknown>, message: string): void {
    const now = performance.now();
    const last = this.#last.get(limit);
    if (last && now - last.at < 10_000) {
      last.unsaid++;
      return;
    }
    log.warn({ ...fields, limit, refusedUnsaid: last?.unsaid || undefined }, message);
    this.#last.set(limit, { at: now, unsaid: 0 });
  }
}
