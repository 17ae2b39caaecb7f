// Rules on `string` and `bytes` values.
import { type RuleKind, type RuleSet, type Violation, asList } from './rule-kind.ts';
import { matchesKnownRegex, stringFormats } from './string-formats.ts';

const patterns = new Map<string, RegExp>();

/** PGV patterns are RE2; the ones in Envoy's protos mean the same as JS `u` regexes. */
function compiled(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern, 'u');
    patterns.set(pattern, regex);
  }
  return regex;
}

function checkLengths(length: number, rules: RuleSet, keys: readonly [string, string, string], unit: string): Violation[] {
  const [exact, min, max] = keys;
  const violations: Violation[] = [];
  if (rules[exact] !== undefined && length !== Number(rules[exact])) {
    violations.push({ rule: exact, message: `has ${length} ${unit}, must have exactly ${String(rules[exact])}` });
  }
  if (rules[min] !== undefined && length < Number(rules[min])) {
    violations.push({ rule: min, message: `has ${length} ${unit}, must have at least ${String(rules[min])}` });
  }
  if (rules[max] !== undefined && length > Number(rules[max])) {
    violations.push({ rule: max, message: `has ${length} ${unit}, must have at most ${String(rules[max])}` });
  }
  return violations;
}

function checkString(value: string, rules: RuleSet): Violation[] {
  const shown = JSON.stringify(value);
  const violations = [
    ...checkLengths([...value].length, rules, ['len', 'min_len', 'max_len'], 'characters'),
    ...checkLengths(Buffer.byteLength(value, 'utf8'), rules, ['len_bytes', 'min_bytes', 'max_bytes'], 'bytes'),
  ];
  const failed = (rule: string, message: string) => violations.push({ rule, message: `${shown} ${message}` });
  if (rules.const !== undefined && value !== rules.const) failed('const', `must equal ${JSON.stringify(rules.const)}`);
  if (typeof rules.pattern === 'string' && !compiled(rules.pattern).test(value)) failed('pattern', `must match ${rules.pattern}`);
  if (typeof rules.prefix === 'string' && !value.startsWith(rules.prefix)) failed('prefix', `must start with ${rules.prefix}`);
  if (typeof rules.suffix === 'string' && !value.endsWith(rules.suffix)) failed('suffix', `must end with ${rules.suffix}`);
  if (typeof rules.contains === 'string' && !value.includes(rules.contains)) failed('contains', `must contain ${rules.contains}`);
  if (typeof rules.not_contains === 'string' && value.includes(rules.not_contains)) {
    failed('not_contains', `must not contain ${rules.not_contains}`);
  }
  const allowed = asList(rules.in);
  if (allowed.length > 0 && !allowed.includes(value)) failed('in', `must be one of ${allowed.join(', ')}`);
  if (asList(rules.not_in).includes(value)) failed('not_in', 'is one of the forbidden values');
  if (rules.well_known_regex !== undefined) {
    const name = knownRegexName(rules.well_known_regex);
    if (!matchesKnownRegex(name, value, rules.strict !== false)) {
      failed('well_known_regex', `is not a valid ${name}${rules.strict === false ? ' (loose check)' : ''}`);
    }
  }
  for (const [format, isValid] of Object.entries(stringFormats)) {
    if (rules[format] === true && !isValid(value)) failed(format, `is not a valid ${format}`);
  }
  return violations;
}

/** The KnownRegex enum arrives by name, or by number when written so in the .proto. */
function knownRegexName(value: unknown): string {
  return value === 1 ? 'HTTP_HEADER_NAME' : value === 2 ? 'HTTP_HEADER_VALUE' : String(value);
}

export const stringKind: RuleKind = {
  keys: [
    'const', 'len', 'min_len', 'max_len', 'len_bytes', 'min_bytes', 'max_bytes', 'pattern', 'prefix', 'suffix',
    'contains', 'not_contains', 'in', 'not_in', 'well_known_regex', 'strict', 'ignore_empty',
    ...Object.keys(stringFormats),
  ],
  check: (value, rules) =>
    typeof value === 'string' ? checkString(value, rules) : [{ rule: 'type', message: 'expected a string' }],
};

/** Byte-valued rules are written as (escaped) text in the .proto; protobufjs hands them over as strings. */
function ruleBytes(value: unknown): Buffer {
  return Buffer.from(String(value), 'latin1');
}

function startsWith(value: Buffer, prefix: Buffer): boolean {
  return value.subarray(0, prefix.length).equals(prefix);
}

function endsWith(value: Buffer, suffix: Buffer): boolean {
  return suffix.length <= value.length && value.subarray(value.length - suffix.length).equals(suffix);
}

function checkBytes(value: Buffer, rules: RuleSet): Violation[] {
  const violations = checkLengths(value.length, rules, ['len', 'min_len', 'max_len'], 'bytes');
  const failed = (rule: string, message: string) => violations.push({ rule, message: `${value.length} bytes ${message}` });
  if (rules.const !== undefined && !value.equals(ruleBytes(rules.const))) failed('const', 'differ from the required value');
  if (rules.prefix !== undefined && !startsWith(value, ruleBytes(rules.prefix))) failed('prefix', 'do not start with the prefix');
  if (rules.suffix !== undefined && !endsWith(value, ruleBytes(rules.suffix))) failed('suffix', 'do not end with the suffix');
  if (rules.contains !== undefined && !value.includes(ruleBytes(rules.contains))) failed('contains', 'lack the required bytes');
  const allowed = asList(rules.in).map(ruleBytes);
  if (allowed.length > 0 && !allowed.some((item) => value.equals(item))) failed('in', 'are none of the allowed values');
  if (asList(rules.not_in).some((item) => value.equals(ruleBytes(item)))) failed('not_in', 'are a forbidden value');
  if (rules.ip === true && value.length !== 4 && value.length !== 16) failed('ip', 'are not an IP address');
  if (rules.ipv4 === true && value.length !== 4) failed('ipv4', 'are not an IPv4 address');
  if (rules.ipv6 === true && value.length !== 16) failed('ipv6', 'are not an IPv6 address');
  return violations;
}

export const bytesKind: RuleKind = {
  keys: [
    'const', 'len', 'min_len', 'max_len', 'prefix', 'suffix', 'contains', 'in', 'not_in', 'ip', 'ipv4', 'ipv6', 'ignore_empty',
  ],
  check: (value, rules) =>
    value instanceof Uint8Array
      ? checkBytes(Buffer.from(value.buffer, value.byteOffset, value.length), rules)
      : [{ rule: 'type', message: 'expected bytes' }],
};
