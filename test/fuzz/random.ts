// Seeded randomness for the fuzz targets. Every case draws from its own generator, derived
// from (seed, case index) alone, so any failing case can be rerun by itself, and a run is
// the same on every machine. No dependency: mulberry32 seeded through a murmur3 finaliser.

export interface FuzzConfig {
  readonly seed: number;
  /** Index of the first case (to rerun a failing stretch of a campaign). */
  readonly first: number;
  readonly cases: number;
}

/** A fixed seed and a sample that keeps each fuzz file to a few seconds in CI. */
export const defaultSeed = 20_240_612;
export const defaultCases = 600;

/** From KUBE_XDS_FUZZ_SEED, KUBE_XDS_FUZZ_FIRST and KUBE_XDS_FUZZ_CASES. */
export function fuzzConfig(env: NodeJS.ProcessEnv = process.env): FuzzConfig {
  return {
    seed: integerFrom(env, 'KUBE_XDS_FUZZ_SEED', defaultSeed),
    first: integerFrom(env, 'KUBE_XDS_FUZZ_FIRST', 0),
    cases: integerFrom(env, 'KUBE_XDS_FUZZ_CASES', defaultCases),
  };
}

function integerFrom(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}

/** How to run `count` cases from `first` again, for failure messages. */
export function rerunHint(config: FuzzConfig, first: number, count: number, file: string): string {
  return `KUBE_XDS_FUZZ_SEED=${config.seed} KUBE_XDS_FUZZ_FIRST=${first} KUBE_XDS_FUZZ_CASES=${count} node test/run.ts ${file}`;
}

/** The 32-bit seed of case `index` of a campaign; `salt` separates independent draws of one case. */
export function caseSeed(seed: number, index: number, salt = 0): number {
  let h = Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b) ^ Math.imul(salt + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  static forCase(config: Pick<FuzzConfig, 'seed'>, index: number, salt = 0): Random {
    return new Random(caseSeed(config.seed, index, salt));
  }

  /** A float in [0, 1): mulberry32. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.below(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.below(items.length)]!;
  }

  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((sum, [weight]) => sum + weight, 0);
    let draw = this.next() * total;
    for (const [weight, value] of choices) {
      draw -= weight;
      if (draw < 0) return value;
    }
    return choices[choices.length - 1]![1];
  }

  /** A size that is usually small and sometimes large: 0..max, log-uniform. */
  size(max: number): number {
    if (this.chance(0.1)) return 0;
    return Math.min(max, Math.floor(Math.exp(this.next() * Math.log(max + 1))));
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.below(256);
    return out;
  }

  /** `count` distinct picks, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < count && pool.length > 0) out.push(pool.splice(this.below(pool.length), 1)[0]!);
    return out;
  }
}
