// Every protoc-gen-validate rule kind the checker implements, and how rules are read from the
// protos through protobufjs reflection.
import type protobuf from 'protobufjs';
import { durationKind, numericKind } from './numeric-rules.ts';
import { type RuleKind, type RuleSet, type Violation, asList, asRuleSet } from './rule-kind.ts';
import { bytesKind, stringKind } from './text-rules.ts';

const boolKind: RuleKind = {
  keys: ['const'],
  check: (value, rules) =>
    rules.const !== undefined && value !== rules.const ? [{ rule: 'const', message: `must be ${String(rules.const)}` }] : [],
};

const enumKind: RuleKind = {
  keys: ['const', 'defined_only', 'in', 'not_in'],
  check(value, rules, enumType) {
    const number = Number(value);
    const violations: Violation[] = [];
    if (rules.const !== undefined && Number(rules.const) !== number) {
      violations.push({ rule: 'const', message: `${number} must equal ${String(rules.const)}` });
    }
    if (rules.defined_only === true && enumType && !Object.hasOwn(enumType.valuesById, number)) {
      violations.push({ rule: 'defined_only', message: `${number} is not a defined value of ${enumType.name}` });
    }
    const allowed = asList(rules.in).map(Number);
    if (allowed.length > 0 && !allowed.includes(number)) {
      violations.push({ rule: 'in', message: `${number} must be one of ${allowed.join(', ')}` });
    }
    if (asList(rules.not_in).map(Number).includes(number)) {
      violations.push({ rule: 'not_in', message: `${number} is one of the forbidden values` });
    }
    return violations;
  },
};

/** `required` is checked where the field is found unset; here the Any is present. */
const anyKind: RuleKind = {
  keys: ['required', 'in', 'not_in'],
  check(value, rules) {
    const typeUrl = String(asRuleSet(value).type_url ?? '');
    const allowed = asList(rules.in);
    const violations: Violation[] = [];
    if (allowed.length > 0 && !allowed.includes(typeUrl)) {
      violations.push({ rule: 'in', message: `type ${typeUrl} must be one of ${allowed.join(', ')}` });
    }
    if (asList(rules.not_in).includes(typeUrl)) violations.push({ rule: 'not_in', message: `type ${typeUrl} is forbidden` });
    return violations;
  },
};

const numericTypes = [
  'float', 'double', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64',
] as const;

/** Kinds that check one value. Their names are the FieldRules oneof members of validate.proto. */
export const valueRuleKinds: Readonly<Record<string, RuleKind>> = {
  ...Object.fromEntries(numericTypes.map((type) => [type, numericKind(type)])),
  bool: boolKind,
  string: stringKind,
  bytes: bytesKind,
  enum: enumKind,
  any: anyKind,
  duration: durationKind,
};

/** Kinds that steer the walk (presence, lists, maps); pgv-walk.ts implements them. */
export const structuralRuleKeys: Readonly<Record<string, readonly string[]>> = {
  message: ['required', 'skip'],
  repeated: ['min_items', 'max_items', 'unique', 'items', 'ignore_empty'],
  map: ['min_pairs', 'max_pairs', 'keys', 'values', 'ignore_empty'],
};

/** Kinds whose `required` applies to an unset field of a message type. */
export const requirableKinds = ['message', 'duration', 'any', 'timestamp'] as const;

const mergedRules = new WeakMap<protobuf.ReflectionObject, RuleSet>();

/**
 * The field's `(validate.rules)`. protobufjs keeps one parsedOptions entry per option statement,
 * so `[(validate.rules).string.min_len = 1, (validate.rules).string.max_len = 9]` arrives in two pieces.
 */
export function fieldRules(field: protobuf.FieldBase): RuleSet {
  let rules = mergedRules.get(field);
  if (!rules) {
    rules = (field.parsedOptions ?? [])
      .map((option) => option['(validate.rules)'] as unknown)
      .filter((option) => option !== undefined)
      .reduce<RuleSet>((merged, option) => mergeRules(merged, asRuleSet(option)), {});
    mergedRules.set(field, rules);
  }
  return rules;
}

function mergeRules(into: RuleSet, from: RuleSet): RuleSet {
  const merged: Record<string, unknown> = { ...into };
  for (const [key, value] of Object.entries(from)) {
    const existing = merged[key];
    const bothObjects = typeof existing === 'object' && typeof value === 'object' && !Array.isArray(value);
    merged[key] = bothObjects ? mergeRules(asRuleSet(existing), asRuleSet(value)) : value;
  }
  return merged;
}

export function isOneofRequired(oneof: protobuf.OneOf): boolean {
  return (oneof.parsedOptions ?? []).some((option) => option['(validate.required)'] === true);
}
