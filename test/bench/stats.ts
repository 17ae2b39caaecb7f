// Numbers for the bench report: percentiles of samples, and plain fixed-width tables.
// Benchmarks report; they never assert a time.

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentiles; all NaN for no samples. */
export function percentiles(samples: readonly number[]): Percentiles {
  if (samples.length === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN };
  const sorted = Float64Array.from(samples).sort();
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  return { count: sorted.length, p50: rank(50), p90: rank(90), p99: rank(99), max: sorted[sorted.length - 1]! };
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value >= 1_000) return `${(value / 1_000).toFixed(2)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  if (value >= 10) return `${value.toFixed(1)} ms`;
  if (value >= 1) return `${value.toFixed(2)} ms`;
  return `${(value * 1_000).toFixed(0)} µs`;
}

export function bytes(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MiB`;
  if (abs >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)}x` : '-';
}

/** One table row of percentile columns, for `table()`. */
export function percentileCells(samples: readonly number[]): string[] {
  const p = percentiles(samples);
  return [String(p.count), ms(p.p50), ms(p.p90), ms(p.p99), ms(p.max)];
}
export const percentileHeader = ['n', 'p50', 'p90', 'p99', 'max'];

/** A plain table: first column left-aligned, the others right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) =>
    '  ' + row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), '  ' + widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function heading(title: string): void {
  console.log(`\n== ${title} ${'='.repeat(Math.max(0, 86 - title.length))}`);
}

export function note(text: string): void {
  console.log(`  ${text}`);
}

export function now(): number {
  return performance.now();
}

/** Wall-clock milliseconds comparable across worker threads of one process (high resolution). */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `probe` is true; throws after `timeoutMs` (a bench that cannot finish says so). */
export async function until(description: string, probe: () => boolean, timeoutMs = 20_000, intervalMs = 1): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!probe()) {
    if (performance.now() > deadline) throw new Error(`bench: timed out waiting for ${description}`);
    await sleep(intervalMs);
  }
}

/** Runs a full garbage collection when node runs with --expose-gc (run.ts passes it). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
}
