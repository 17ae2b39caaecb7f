// Turns what callers hand us — plain keep-case objects in the shape the generated code's
// fromObject() takes, or encoded bytes — into one canonical ProtoMessage. Strict on purpose:
// whatever fromObject() would silently drop or coerce (unknown fields, unknown enum names,
// out-of-range numbers, two members of one oneof) is reported instead.
import protobuf from 'protobufjs';
import { typeName } from './load-protos.ts';
import { type Problem, type ProtoMessage, fieldPath, indexPath, isProtoMessage, keyPath } from './problem.ts';
import { type ScalarValue, bytesValue, integerValue, isFloatType, isIntegerType } from './scalars.ts';

export function toProtoMessage(
  type: protobuf.Type,
  input: unknown,
  path: string,
  problems: Problem[],
): ProtoMessage | undefined {
  return input instanceof Uint8Array ? decodeMessage(type, input, path, problems) : plainMessage(type, input, path, problems);
}

export function decodeMessage(
  type: protobuf.Type,
  bytes: Uint8Array,
  path: string,
  problems: Problem[],
): ProtoMessage | undefined {
  let decoded: ProtoMessage;
  try {
    decoded = type.toObject(type.decode(bytes), { longs: BigInt, enums: Number });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    problems.push({ path, rule: 'proto.decode', message: `not a valid ${typeName(type)}: ${reason}` });
    return undefined;
  }
  return plainMessage(type, decoded, path, problems);
}

function plainMessage(type: protobuf.Type, input: unknown, path: string, problems: Problem[]): ProtoMessage {
  if (!isProtoMessage(input)) {
    problems.push({ path, rule: 'proto.type', message: `expected a ${typeName(type)} object, got ${describe(input)}` });
    return {};
  }
  const message: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    const field = Object.hasOwn(type.fields, name) ? type.fields[name] : undefined;
    if (!field) {
      const reason = `${typeName(type)} has no field ${name}`;
      problems.push({ path: fieldPath(path, name), rule: 'proto.unknown_field', message: reason });
      continue;
    }
    const converted = plainField(field, value, fieldPath(path, name), problems);
    if (converted !== undefined) message[name] = converted;
  }
  reportCompetingOneofMembers(type, message, path, problems);
  return message;
}

function plainField(field: protobuf.Field, value: unknown, path: string, problems: Problem[]): unknown {
  if (field instanceof protobuf.MapField) return plainMap(field, value, path, problems);
  if (!field.repeated) return plainSingle(field, value, path, problems);
  if (!Array.isArray(value)) {
    problems.push({ path, rule: 'proto.type', message: `expected an array, got ${describe(value)}` });
    return undefined;
  }
  return value.map((item, index) => plainSingle(field, item, indexPath(path, index), problems));
}

function plainMap(field: protobuf.MapField, value: unknown, path: string, problems: Problem[]): unknown {
  if (!isProtoMessage(value)) {
    problems.push({ path, rule: 'proto.type', message: `expected an object for a map, got ${describe(value)}` });
    return undefined;
  }
  const entries: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const canonicalKey = mapKey(field.keyType, key);
    if (canonicalKey === undefined) {
      problems.push({ path: keyPath(path, key), rule: 'proto.type', message: `map key is not a ${field.keyType}` });
      continue;
    }
    entries[canonicalKey] = plainSingle(field, item, keyPath(path, key), problems);
  }
  return entries;
}

/** Map keys are strings in JS objects; integer and bool keys must still spell a valid key. */
function mapKey(keyType: string, key: string): string | undefined {
  if (keyType === 'string') return key;
  if (keyType === 'bool') return key === 'true' || key === 'false' ? key : undefined;
  const integer = integerValue(keyType, key);
  return integer === undefined ? undefined : String(integer);
}

/** One value of a field (or of a map field's value type). */
function plainSingle(field: protobuf.FieldBase, value: unknown, path: string, problems: Problem[]): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return plainMessage(resolved, value, path, problems);
  if (resolved instanceof protobuf.Enum) return enumNumber(resolved, value, path, problems);
  const scalar = plainScalar(field.type, value);
  if (scalar === undefined) {
    problems.push({ path, rule: 'proto.type', message: `expected ${field.type}, got ${describe(value)}` });
  }
  return scalar;
}

function plainScalar(type: string, value: unknown): ScalarValue | undefined {
  if (isIntegerType(type)) return integerValue(type, value);
  if (isFloatType(type)) return typeof value === 'number' ? value : undefined;
  if (type === 'bool') return typeof value === 'boolean' ? value : undefined;
  if (type === 'string') return typeof value === 'string' ? value : undefined;
  return bytesValue(value);
}

/** Enum values by name or number; proto3 enums are open, so unknown numbers pass here. */
function enumNumber(enumType: protobuf.Enum, value: unknown, path: string, problems: Problem[]): number | undefined {
  if (typeof value === 'string' && Object.hasOwn(enumType.values, value)) return enumType.values[value];
  if (typeof value === 'number' && integerValue('int32', value) !== undefined) return value;
  problems.push({ path, rule: 'proto.enum_value', message: `${describe(value)} is not a value of ${typeName(enumType)}` });
  return undefined;
}

function reportCompetingOneofMembers(
  type: protobuf.Type,
  message: ProtoMessage,
  path: string,
  problems: Problem[],
): void {
  for (const oneof of type.oneofsArray) {
    const members = oneof.fieldsArray.filter((field) => message[field.name] !== undefined).map((field) => field.name);
    if (members.length > 1) {
      problems.push({
        path: fieldPath(path, oneof.name),
        rule: 'proto.oneof_multiple',
        message: `only one of ${members.join(', ')} may be set (the encoding keeps the last one)`,
      });
    }
  }
}

function describe(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  const json = JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? `${item}` : item));
  return `${typeof value} ${json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json}`;
}
