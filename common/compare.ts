// Comparators for sorted output that must be the same on every machine.

/** Orders strings by UTF-16 code units, not locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A comparator on a string key, ordered as compareText. */
export function byKey<T>(key: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => compareText(key(a), key(b));
}
