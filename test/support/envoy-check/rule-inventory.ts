// Lists every validation rule the loaded protos declare, so a test can prove the checker
// implements all of them instead of skipping some silently.
import protobuf from 'protobufjs';
import { envoyProtos, typeName } from './load-protos.ts';
import { fieldRules, structuralRuleKeys, valueRuleKinds } from './pgv-rules.ts';
import { type RuleSet, asRuleSet } from './rule-kind.ts';

/** Declared rules (`string.min_len`, `repeated.items.string.well_known_regex`, ...) with one field using each. */
export function declaredRules(): ReadonlyMap<string, string> {
  const rules = new Map<string, string>();
  const record = (rule: string, where: string) => {
    if (!rules.has(rule)) rules.set(rule, where);
  };
  for (const type of allTypes(envoyProtos())) {
    for (const name of validateOptionNames(type)) record(`message option ${name}`, typeName(type));
    for (const oneof of type.oneofsArray) {
      for (const name of validateOptionNames(oneof)) record(`oneof option ${name}`, `${typeName(type)}.${oneof.name}`);
    }
    for (const field of type.fieldsArray) {
      collectRuleKeys(fieldRules(field), '', (rule) => record(rule, `${typeName(type)}.${field.name}`));
    }
  }
  return rules;
}

function validateOptionNames(declaration: protobuf.ReflectionObject): string[] {
  return (declaration.parsedOptions ?? []).flatMap((option) => Object.keys(option)).filter((name) => name.startsWith('(validate.'));
}

/** Nested FieldRules (list items, map keys and values) are walked, not listed as rules of their own. */
const nestedFieldRules = new Set(['repeated.items', 'map.keys', 'map.values']);

function collectRuleKeys(rules: RuleSet, prefix: string, record: (rule: string) => void): void {
  for (const [kind, kindRules] of Object.entries(rules)) {
    for (const [key, value] of Object.entries(asRuleSet(kindRules))) {
      if (nestedFieldRules.has(`${kind}.${key}`)) collectRuleKeys(asRuleSet(value), `${prefix}${kind}.${key}.`, record);
      else record(`${prefix}${kind}.${key}`);
    }
  }
}

export function isImplementedRule(rule: string): boolean {
  if (rule === 'oneof option (validate.required)') return true;
  const [kind, key] = rule.split('.').slice(-2);
  if (kind === undefined || key === undefined) return false;
  const keys = structuralRuleKeys[kind] ?? valueRuleKinds[kind]?.keys ?? [];
  return keys.includes(key);
}

function* allTypes(namespace: protobuf.NamespaceBase): Generator<protobuf.Type> {
  for (const nested of namespace.nestedArray) {
    if (nested instanceof protobuf.Type) yield nested;
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) yield* allTypes(nested);
  }
}
