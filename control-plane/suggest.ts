// "Did you mean …?" for a resource name that does not exist: a mistyped xds:/// target is
// the most common proxyless failure, and every client just waits on it. A request's names
// are checked as it arrives, against every name of the type (10,000 clusters in a large
// cluster), so this stays allocation-free per comparison.
import { LRUCache } from 'lru-cache';

/**
 * Suggestions per scope (a snapshot: the names it holds do not change), kind (a type) and
 * name: a fleet of clients with the same mistyped target reconnecting at once costs one
 * search per name. Bounded: names come from clients.
 */
const cache = new WeakMap<object, LRUCache<string, readonly string[]>>();

/**
 * A search scans every name of the type (10-30 ms at 10,000 Services), on the thread that
 * serves every stream: clients asking for many names that do not exist get suggestions for
 * as many as this much search time per second allows, and the rest get none.
 */
const budget = { msPerSecond: 100, spentMs: 0, since: 0 };

/** `closestNames`, remembered per scope and kind, within the search budget. */
export function suggestionsFor(scope: object, kind: string, wanted: string, existing: () => Iterable<string>): readonly string[] {
  let remembered = cache.get(scope);
  if (!remembered) cache.set(scope, (remembered = new LRUCache({ max: 1_000 })));
  const key = `${kind} ${wanted}`;
  const found = remembered.get(key);
  if (found) return found;
  const started = performance.now();
  if (started - budget.since >= 1_000) Object.assign(budget, { spentMs: 0, since: started });
  if (budget.spentMs >= budget.msPerSecond) return [];
  const closest = closestNames(wanted, existing());
  budget.spentMs += performance.now() - started;
  remembered.set(key, closest);
  return closest;
}

/**
 * Up to `limit` existing names closest to `wanted`: those with the same Service name (the
 * first DNS label: `echo:50051` finds `echo.demo.svc.cluster.local:50051`), then those
 * within a small edit distance, nearest first.
 */
export function closestNames(wanted: string, existing: Iterable<string>, limit = 3): string[] {
  const maxDistance = Math.max(2, Math.floor(wanted.length / 4));
  const service = firstLabel(wanted);
  const best: { name: string; score: number }[] = [];
  for (const name of existing) {
    // Once `limit` names are close enough, only as close or closer can still enter: a narrower band.
    const worst = best.length === limit ? best[limit - 1]!.score : Infinity;
    const distance = boundedDistance(wanted, name, Math.min(maxDistance, Math.floor(worst)));
    let score: number;
    if (distance <= maxDistance) score = distance;
    else if (firstLabel(name) === service) score = maxDistance + 1 + Math.abs(name.length - wanted.length) / 1000;
    else continue;
    if (best.length === limit && !closer(score, name, best[limit - 1]!)) continue;
    let at = best.length === limit ? limit - 1 : best.length;
    while (at > 0 && closer(score, name, best[at - 1]!)) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = { name, score };
  }
  return best.map((entry) => entry.name);
}

function closer(score: number, name: string, than: { name: string; score: number }): boolean {
  return score < than.score || (score === than.score && name < than.name);
}

function firstLabel(name: string): string {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e || c === 0x3a || c === 0x2f) return name.slice(0, i); // . : /
  }
  return name;
}

// Two rows of the band, grown as needed and reused by every comparison.
let previous = new Int32Array(64);
let current = new Int32Array(64);

/** Levenshtein distance, or `max + 1` as soon as it must exceed `max` (a band of 2·max+1). */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (previous.length <= b.length) {
    previous = new Int32Array(b.length * 2);
    current = new Int32Array(b.length * 2);
  }
  const over = max + 1;
  for (let j = 0; j <= b.length; j++) previous[j] = j <= max ? j : over;
  for (let i = 1; i <= a.length; i++) {
    const from = Math.max(1, i - max);
    const to = Math.min(b.length, i + max);
    current[0] = i <= max ? i : over;
    if (from > 1) current[from - 1] = over;
    let rowMin = current[0]!;
    const ca = a.charCodeAt(i - 1);
    for (let j = from; j <= to; j++) {
      const substitute = previous[j - 1]! + (ca === b.charCodeAt(j - 1) ? 0 : 1);
      const value = Math.min(previous[j]! + 1, current[j - 1]! + 1, substitute);
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    if (to < b.length) current[to + 1] = over;
    if (rowMin > max) return over;
    const swap = previous;
    previous = current;
    current = swap;
  }
  return Math.min(previous[b.length]!, over);
}
