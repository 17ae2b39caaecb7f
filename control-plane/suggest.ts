// "Did you mean …?" for a resource name that does not exist: a mistyped xds:/// target is
// the most common proxyless failure, and every client just waits on it.

/**
 * Up to `limit` existing names closest to `wanted`: those with the same Service name (the
 * first DNS label: `echo:50051` finds `echo.demo.svc.cluster.local:50051`), then those
 * within a small edit distance, nearest first.
 */
export function closestNames(wanted: string, existing: Iterable<string>, limit = 3): string[] {
  const maxDistance = Math.max(2, Math.floor(wanted.length / 4));
  const service = firstLabel(wanted);
  const scored: { name: string; score: number }[] = [];
  for (const name of existing) {
    const distance = boundedDistance(wanted, name, maxDistance);
    if (distance <= maxDistance) scored.push({ name, score: distance });
    else if (firstLabel(name) === service) scored.push({ name, score: maxDistance + 1 + Math.abs(name.length - wanted.length) / 1000 });
  }
  scored.sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : 1));
  return scored.slice(0, limit).map((entry) => entry.name);
}

function firstLabel(name: string): string {
  return /^[^.:/]*/.exec(name)![0];
}

/** Levenshtein distance, or `max + 1` as soon as it must exceed `max` (a band of 2·max+1). */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = Int32Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = new Int32Array(b.length + 1).fill(max + 1);
    current[0] = i;
    let rowMin = i;
    for (let j = Math.max(1, i - max); j <= Math.min(b.length, i + max); j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      rowMin = Math.min(rowMin, current[j]!);
    }
    if (rowMin > max) return max + 1;
    previous = current;
  }
  return Math.min(previous[b.length]!, max + 1);
}
