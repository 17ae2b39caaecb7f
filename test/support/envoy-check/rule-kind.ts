// The shape every checker of one protoc-gen-validate rule kind (`string`, `uint32`, ...) has.
import type protobuf from 'protobufjs';

/** The rules of one kind as protobufjs parses them from the .proto text, e.g. `{min_len: 1}`. */
export type RuleSet = Readonly<Record<string, unknown>>;

/** A broken rule: its key within the kind (`min_len`) and what is wrong. */
export interface Violation {
  readonly rule: string;
  readonly message: string;
}

export interface RuleKind {
  /** The rule keys this kind implements; any other key met in the protos is reported. */
  readonly keys: readonly string[];
  check(value: unknown, rules: RuleSet, enumType?: protobuf.Enum): Violation[];
}

export function asRuleSet(value: unknown): RuleSet {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as RuleSet) : {};
}

/** protobufjs gives a repeated option written with one value (`not_in: 6`) as that value. */
export function asList(value: unknown): readonly unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
