// Odd values both fuzz targets draw from: strings, numbers and JSON-like trees of the
// shapes that break parsers (empty, huge, unicode, control characters, look-alikes).
import type { Random } from './random.ts';

const unicode = ['é', 'ß', '日本', '🙂', '\u202e', '\u0301', '\uFEFF', '\uFFFD', 'Ω', '\u00a0', 'İ'];
const controls = ['\u0000', '\n', '\r', '\t', '\u001b[31m', '\u007f'];
const lookAlikes = ['*', '.', '..', '/', '%s%n', '${x}', '{{x}}', '\\', '"', "'", '<script>', 'null', 'undefined', '__proto__', 'constructor', 'toString', 'NaN', '-1', '0', '80', '1e9', 'true'];

/**
 * A string that is odd in one or more ways; `near` strings (real names) are mutated too.
 * `huge`: now and then 100,000 characters or more (leave it out for items of long lists).
 */
export function oddString(random: Random, near: readonly string[] = [], huge = true): string {
  return random.weighted<() => string>([
    [3, () => ''],
    [3, () => random.pick(lookAlikes)],
    [3, () => random.pick(unicode).repeat(random.between(1, 4))],
    [2, () => random.pick(controls)],
    [3, () => (near.length > 0 ? mutateText(random, random.pick(near)) : 'x')],
    [2, () => 'a'.repeat(random.pick([63, 64, 253, 254, 1_000, 10_000]))],
    [huge ? 0.3 : 0, () => random.pick(['x', 'é', '🙂']).repeat(random.pick([100_000, 200_000]))],
    [3, () => asciiNoise(random, random.size(40))],
    // A lone surrogate: protobufjs writes it as invalid UTF-8.
    [1, () => `name-\ud800-${random.below(10)}`],
  ])();
}

/** `text` with a small edit: case, a character swapped, added or removed, padding. */
export function mutateText(random: Random, text: string): string {
  const at = random.below(text.length + 1);
  return random.weighted<() => string>([
    [2, () => text.toUpperCase()],
    [2, () => `${text.slice(0, at)}${random.pick([...unicode, ...controls, '-', '.', ':', '|', '*'])}${text.slice(at)}`],
    [2, () => text.slice(0, at) + text.slice(at + 1)],
    [1, () => ` ${text}`],
    [1, () => `${text} `],
    [1, () => text + text],
    [1, () => text.slice(0, at)],
  ])();
}

export function asciiNoise(random: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(random.between(32, 126));
  return out;
}

/** Numbers at and beyond the edges of what fields allow. */
export function oddNumber(random: Random): number {
  return random.pick([0, -0, -1, 1, 1.5, 65_535, 65_536, 2 ** 31, 2 ** 32, -(2 ** 31), Number.MAX_SAFE_INTEGER + 2, 1e308, Number.NaN, Infinity, -Infinity, 5e-324]);
}

/** A random JSON-like value (no undefined); `depth` bounds nesting. */
export function chaosValue(random: Random, depth = 3): unknown {
  const leaf = (): unknown =>
    random.weighted<() => unknown>([
      [3, () => null],
      [2, () => random.chance(0.5)],
      [3, () => oddNumber(random)],
      [4, () => oddString(random)],
    ])();
  if (depth <= 0 || random.chance(0.5)) return leaf();
  if (random.chance(0.5)) return Array.from({ length: random.size(6) }, () => chaosValue(random, depth - 1));
  const object: Record<string, unknown> = {};
  for (let i = random.size(6); i > 0; i--) object[oddString(random, [], false)] = chaosValue(random, depth - 1);
  return object;
}

/** A value nested `depth` levels deep in arrays or objects, built without recursion. */
export function deeplyNested(depth: number, asArrays: boolean): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = asArrays ? [value] : { nested: value };
  return value;
}
