// Walks a canonical message field by field and applies its protoc-gen-validate rules, the way
// the generated Validate() methods Envoy runs do: unset scalars count as their zero value, unset
// messages are only checked for `required`, unset oneof members not at all, and messages (Any
// contents included) are validated recursively.
import protobuf from 'protobufjs';
import { unpackAny } from './any.ts';
import { typeName } from './load-protos.ts';
import { fieldRules, isOneofRequired, requirableKinds, structuralRuleKeys, valueRuleKinds } from './pgv-rules.ts';
import { type Problem, type ProtoMessage, fieldPath, indexPath, isProtoMessage, keyPath } from './problem.ts';
import { type RuleSet, asRuleSet } from './rule-kind.ts';
import { integerValue, zeroValue } from './scalars.ts';

export interface WalkContext {
  readonly problems: Problem[];
  /** Called for every message reached (Any contents included) before its fields are checked. */
  readonly onMessage?: (type: protobuf.Type, message: ProtoMessage, path: string) => void;
}

export function validateMessage(type: protobuf.Type, message: ProtoMessage, path: string, context: WalkContext): void {
  context.onMessage?.(type, message, path);
  for (const oneof of type.oneofsArray) {
    if (isOneofRequired(oneof) && !oneof.fieldsArray.some((field) => message[field.name] !== undefined)) {
      const reason = `one of ${oneof.fieldsArray.map((field) => field.name).join(', ')} is required`;
      context.problems.push({ path: fieldPath(path, oneof.name), rule: 'oneof.required', message: reason });
    }
  }
  for (const field of type.fieldsArray) validateField(field, message[field.name], fieldPath(path, field.name), context);
  if (typeName(type) === 'google.protobuf.Any') {
    const unpacked = unpackAny(message, path, context.problems);
    if (unpacked) validateMessage(unpacked.type, unpacked.message, unpacked.path, context);
  }
}

function validateField(field: protobuf.Field, value: unknown, path: string, context: WalkContext): void {
  const rules = fieldRules(field);
  if (field instanceof protobuf.MapField) {
    validateMap(field, isProtoMessage(value) ? value : {}, rules, path, context);
  } else if (field.repeated) {
    validateRepeated(field, Array.isArray(value) ? value : [], rules, path, context);
  } else if (value !== undefined) {
    validateValue(field, value, rules, path, '', context);
  } else if (field.partOf !== null) {
    // Rules of a oneof member (proto3 `optional` included) apply only once it is the one set.
    return;
  } else if (field.resolvedType instanceof protobuf.Type || field.hasPresence) {
    reportMissingRequired(rules, path, context);
  } else {
    validateValue(field, field.resolvedType instanceof protobuf.Enum ? 0 : zeroValue(field.type), rules, path, '', context);
  }
}

function reportMissingRequired(rules: RuleSet, path: string, context: WalkContext): void {
  for (const kind of requirableKinds) {
    if (asRuleSet(rules[kind]).required === true) {
      context.problems.push({ path, rule: `${kind}.required`, message: 'is required' });
    }
  }
}

/** One present value of a field, a list item or a map value; `rulePrefix` names where its rules came from. */
function validateValue(
  field: protobuf.FieldBase,
  value: unknown,
  rules: RuleSet,
  path: string,
  rulePrefix: string,
  context: WalkContext,
): void {
  const resolved = field.resolvedType;
  const enumType = resolved instanceof protobuf.Enum ? resolved : undefined;
  applyValueRules(unwrapped(resolved, value), rules, path, rulePrefix, context, enumType);
  if (resolved instanceof protobuf.Type && asRuleSet(rules.message).skip !== true && isProtoMessage(value)) {
    validateMessage(resolved, value, path, context);
  }
}

/** Scalar rules on a google.protobuf.*Value field apply to the wrapped value. */
function unwrapped(resolved: protobuf.ReflectionObject | null, value: unknown): unknown {
  if (!(resolved instanceof protobuf.Type) || !/^\.google\.protobuf\.\w+Value$/.test(resolved.fullName)) return value;
  const inner = resolved.fields.value;
  if (!inner || !isProtoMessage(value)) return value;
  return value.value ?? zeroValue(inner.type);
}

function applyValueRules(
  value: unknown,
  rules: RuleSet,
  path: string,
  rulePrefix: string,
  context: WalkContext,
  enumType?: protobuf.Enum,
): void {
  for (const [kindName, kindRules] of Object.entries(rules)) {
    if (kindName in structuralRuleKeys) {
      reportUnimplementedKeys(kindName, asRuleSet(kindRules), structuralRuleKeys[kindName] ?? [], path, rulePrefix, context);
      continue;
    }
    const kind = valueRuleKinds[kindName];
    const ruleSet = asRuleSet(kindRules);
    if (!kind) {
      context.problems.push({ path, rule: `${rulePrefix}${kindName}`, message: 'rule kind not implemented by the checker' });
      continue;
    }
    reportUnimplementedKeys(kindName, ruleSet, kind.keys, path, rulePrefix, context);
    if (ruleSet.ignore_empty === true && isEmpty(value)) continue;
    for (const violation of kind.check(value, ruleSet, enumType)) {
      context.problems.push({ path, rule: `${rulePrefix}${kindName}.${violation.rule}`, message: violation.message });
    }
  }
}

function reportUnimplementedKeys(
  kindName: string,
  rules: RuleSet,
  implemented: readonly string[],
  path: string,
  rulePrefix: string,
  context: WalkContext,
): void {
  for (const key of Object.keys(rules)) {
    if (!implemented.includes(key)) {
      context.problems.push({ path, rule: `${rulePrefix}${kindName}.${key}`, message: 'rule not implemented by the checker' });
    }
  }
}

function isEmpty(value: unknown): boolean {
  if (value instanceof Uint8Array || typeof value === 'string') return value.length === 0;
  return value === 0 || value === 0n || value === false;
}

function validateRepeated(
  field: protobuf.Field,
  items: readonly unknown[],
  rules: RuleSet,
  path: string,
  context: WalkContext,
): void {
  const listRules = asRuleSet(rules.repeated);
  const report = (rule: string, message: string, at = path) =>
    context.problems.push({ path: at, rule: `repeated.${rule}`, message });
  if (!(listRules.ignore_empty === true && items.length === 0)) {
    if (listRules.min_items !== undefined && items.length < Number(listRules.min_items)) {
      report('min_items', `${items.length} items, at least ${String(listRules.min_items)} required`);
    }
    if (listRules.max_items !== undefined && items.length > Number(listRules.max_items)) {
      report('max_items', `${items.length} items, at most ${String(listRules.max_items)} allowed`);
    }
  }
  if (listRules.unique === true) {
    const seen = new Set<string>();
    items.forEach((item, index) => {
      const key = uniquenessKey(item);
      if (seen.has(key)) report('unique', 'repeats an earlier item', indexPath(path, index));
      seen.add(key);
    });
  }
  const itemRules = asRuleSet(listRules.items);
  items.forEach((item, index) => validateValue(field, item, itemRules, indexPath(path, index), 'repeated.items.', context));
}

function uniquenessKey(item: unknown): string {
  if (item instanceof Uint8Array) return `bytes:${Buffer.from(item).toString('hex')}`;
  return `${typeof item}:${String(item)}`;
}

function validateMap(field: protobuf.MapField, entries: ProtoMessage, rules: RuleSet, path: string, context: WalkContext): void {
  const mapRules = asRuleSet(rules.map);
  const keys = Object.keys(entries);
  const report = (rule: string, message: string) => context.problems.push({ path, rule: `map.${rule}`, message });
  if (!(mapRules.ignore_empty === true && keys.length === 0)) {
    if (mapRules.min_pairs !== undefined && keys.length < Number(mapRules.min_pairs)) {
      report('min_pairs', `${keys.length} entries, at least ${String(mapRules.min_pairs)} required`);
    }
    if (mapRules.max_pairs !== undefined && keys.length > Number(mapRules.max_pairs)) {
      report('max_pairs', `${keys.length} entries, at most ${String(mapRules.max_pairs)} allowed`);
    }
  }
  const keyRules = asRuleSet(mapRules.keys);
  const valueRules = asRuleSet(mapRules.values);
  for (const key of keys) {
    const entryPath = keyPath(path, key);
    applyValueRules(typedMapKey(field.keyType, key), keyRules, entryPath, 'map.keys.', context);
    validateValue(field, entries[key], valueRules, entryPath, 'map.values.', context);
  }
}

function typedMapKey(keyType: string, key: string): unknown {
  if (keyType === 'string') return key;
  if (keyType === 'bool') return key === 'true';
  return integerValue(keyType, key);
}
