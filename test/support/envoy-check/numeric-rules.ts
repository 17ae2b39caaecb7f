// Rules on ordered values: every integer and floating point kind, and google.protobuf.Duration.
import { type RuleKind, type RuleSet, type Violation, asList, asRuleSet } from './rule-kind.ts';
import { is64BitType, toBigInt } from './scalars.ts';

type Ordered = number | bigint;

const orderedKeys = ['const', 'lt', 'lte', 'gt', 'gte', 'in', 'not_in'] as const;

interface OrderedScale {
  /** Brings a field value or a rule value to one comparable type (bigint or number, never mixed). */
  read(value: unknown): Ordered | undefined;
  show(value: Ordered): string;
}

function checkOrdered(value: Ordered, rules: RuleSet, scale: OrderedScale): Violation[] {
  const violations: Violation[] = [];
  const shown = scale.show(value);
  if (rules.const !== undefined && scale.read(rules.const) !== value) {
    violations.push({ rule: 'const', message: `${shown} must equal ${scale.show(scale.read(rules.const) ?? 0)}` });
  }
  const allowed = asList(rules.in).map((item) => scale.read(item));
  if (allowed.length > 0 && !allowed.includes(value)) {
    violations.push({ rule: 'in', message: `${shown} must be one of ${allowed.join(', ')}` });
  }
  if (asList(rules.not_in).some((item) => scale.read(item) === value)) {
    violations.push({ rule: 'not_in', message: `${shown} is one of the forbidden values` });
  }
  return [...violations, ...checkRange(value, rules, scale)];
}

/** gt/gte/lt/lte as PGV reads them: when the lower bound is not below the upper one, the range is "outside". */
function checkRange(value: Ordered, rules: RuleSet, scale: OrderedScale): Violation[] {
  const lowerKey = rules.gt !== undefined ? 'gt' : rules.gte !== undefined ? 'gte' : undefined;
  const upperKey = rules.lt !== undefined ? 'lt' : rules.lte !== undefined ? 'lte' : undefined;
  const lower = lowerKey === undefined ? undefined : scale.read(rules[lowerKey]);
  const upper = upperKey === undefined ? undefined : scale.read(rules[upperKey]);
  const aboveLower = lower === undefined || (lowerKey === 'gt' ? value > lower : value >= lower);
  const belowUpper = upper === undefined || (upperKey === 'lt' ? value < upper : value <= upper);
  const shown = scale.show(value);
  if (lower !== undefined && upper !== undefined && upper <= lower) {
    if (aboveLower || belowUpper) return [];
    const range = `${scale.show(upper)}..${scale.show(lower)}`;
    return [{ rule: `${lowerKey}`, message: `${shown} must be outside the range ${range}` }];
  }
  const violations: Violation[] = [];
  if (!aboveLower && lower !== undefined) {
    const bound = `${lowerKey === 'gt' ? 'greater than' : 'at least'} ${scale.show(lower)}`;
    violations.push({ rule: `${lowerKey}`, message: `${shown} must be ${bound}` });
  }
  if (!belowUpper && upper !== undefined) {
    const bound = `${upperKey === 'lt' ? 'less than' : 'at most'} ${scale.show(upper)}`;
    violations.push({ rule: `${upperKey}`, message: `${shown} must be ${bound}` });
  }
  return violations;
}

function numericScale(type: string): OrderedScale {
  if (is64BitType(type)) {
    // Rule values above 2^53 reach us as (integral) doubles.
    const read = (value: unknown) =>
      typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : toBigInt(value);
    return { read, show: String };
  }
  const read = (value: unknown) => (typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : undefined);
  return { read, show: String };
}

export function numericKind(type: string): RuleKind {
  const scale = numericScale(type);
  return {
    keys: [...orderedKeys, 'ignore_empty'],
    check(value, rules) {
      const number = scale.read(value);
      if (number === undefined) return [{ rule: 'type', message: `expected a ${type}, got ${String(value)}` }];
      return checkOrdered(number, rules, scale);
    },
  };
}

export function durationNanos(value: unknown): bigint {
  const duration = asRuleSet(value);
  const seconds = toBigInt(duration.seconds ?? 0) ?? 0n;
  const nanos = typeof duration.nanos === 'number' ? BigInt(duration.nanos) : 0n;
  return seconds * 1_000_000_000n + nanos;
}

export function showDuration(nanos: Ordered): string {
  const total = BigInt(nanos);
  const sign = total < 0n ? '-' : '';
  const magnitude = total < 0n ? -total : total;
  const fraction = String(magnitude % 1_000_000_000n).padStart(9, '0').replace(/0+$/, '');
  return `${sign}${magnitude / 1_000_000_000n}${fraction === '' ? '' : `.${fraction}`}s`;
}

const durationScale: OrderedScale = { read: durationNanos, show: showDuration };

/** `required` is checked where the field is found unset; here the value is present. */
export const durationKind: RuleKind = {
  keys: ['required', ...orderedKeys],
  check: (value, rules) => checkOrdered(durationNanos(value), rules, durationScale),
};
