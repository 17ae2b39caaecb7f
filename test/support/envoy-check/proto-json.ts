// Proto3 JSON (and YAML, which Envoy reads as JSON) into a canonical ProtoMessage, following the
// proto3 JSON mapping: lowerCamelCase or original field names, enums by name, 64-bit integers
// as strings or numbers, durations as "1.5s", Struct/Value/ListValue as plain JSON, wrappers as
// their plain value, Any with "@type". Unknown fields are errors, as in Envoy's bootstrap.
import protobuf from 'protobufjs';
import { packAny, packedTypeName } from './any.ts';
import { describe, mapKey, reportCompetingOneofMembers } from './from-plain.ts';
import { findMessageType, typeName } from './load-protos.ts';
import { type Problem, type ProtoMessage, anyPath, fieldPath, indexPath, isProtoMessage, keyPath } from './problem.ts';
import { type ScalarValue, bytesValue, integerValue, isFloatType, isIntegerType } from './scalars.ts';

const maxDurationSeconds = 315_576_000_000n;
const maxFloat = 3.4028234663852886e38;

export function messageFromJson(type: protobuf.Type, json: unknown, path: string, problems: Problem[]): ProtoMessage | undefined {
  const special = wellKnownFromJson[typeName(type)];
  if (special) return special(type, json, path, problems);
  if (!isProtoMessage(json)) {
    problems.push({ path, rule: 'json.type', message: `expected an object for ${typeName(type)}, got ${describe(json)}` });
    return undefined;
  }
  const message: Record<string, unknown> = {};
  const names = jsonFieldNames(type);
  for (const [key, value] of Object.entries(json)) {
    const field = names.get(key);
    if (!field) {
      problems.push({ path: fieldPath(path, key), rule: 'json.unknown_field', message: `${typeName(type)} has no field ${key}` });
      continue;
    }
    const at = fieldPath(path, field.name);
    if (message[field.name] !== undefined) {
      problems.push({ path: at, rule: 'json.duplicate_field', message: `${field.name} is given twice (as ${key} too)` });
      continue;
    }
    if (value === null && typeName(field.resolvedType ?? type) !== 'google.protobuf.Value') continue;
    const converted = fieldFromJson(field, value, at, problems);
    if (converted !== undefined) message[field.name] = converted;
  }
  reportCompetingOneofMembers(type, message, path, problems);
  return message;
}

const fieldNamesByType = new WeakMap<protobuf.Type, ReadonlyMap<string, protobuf.Field>>();

/** Every name JSON may use for a field: as declared, and lowerCamelCase as protoc derives it. */
function jsonFieldNames(type: protobuf.Type): ReadonlyMap<string, protobuf.Field> {
  let names = fieldNamesByType.get(type);
  if (!names) {
    const entries = type.fieldsArray.flatMap((field) => {
      const declared = field.protoName || field.name;
      const jsonName = typeof field.options?.json_name === 'string' ? field.options.json_name : lowerCamelCase(declared);
      return [field.name, declared, jsonName].map((name) => [name, field] as const);
    });
    names = new Map(entries);
    fieldNamesByType.set(type, names);
  }
  return names;
}

function lowerCamelCase(name: string): string {
  return name.replace(/_(.)/g, (_match, letter: string) => letter.toUpperCase());
}

function fieldFromJson(field: protobuf.Field, value: unknown, path: string, problems: Problem[]): unknown {
  if (field instanceof protobuf.MapField) {
    if (!isProtoMessage(value)) return typeError(path, 'an object', value, problems);
    const entries: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const canonicalKey = mapKey(field.keyType, key);
      if (canonicalKey === undefined) typeError(keyPath(path, key), `a ${field.keyType} map key`, key, problems);
      else entries[canonicalKey] = singleFromJson(field, item, keyPath(path, key), problems);
    }
    return entries;
  }
  if (!field.repeated) return singleFromJson(field, value, path, problems);
  if (!Array.isArray(value)) return typeError(path, 'an array', value, problems);
  return value.map((item, index) => singleFromJson(field, item, indexPath(path, index), problems));
}

function singleFromJson(field: protobuf.FieldBase, value: unknown, path: string, problems: Problem[]): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageFromJson(resolved, value, path, problems);
  if (resolved instanceof protobuf.Enum) return enumFromJson(resolved, value, path, problems);
  const scalar = scalarFromJson(field.type, value);
  return scalar === undefined ? typeError(path, `a ${field.type}`, value, problems) : scalar;
}

function enumFromJson(enumType: protobuf.Enum, value: unknown, path: string, problems: Problem[]): number | undefined {
  if (value === null && typeName(enumType) === 'google.protobuf.NullValue') return 0;
  if (typeof value === 'string' && Object.hasOwn(enumType.values, value)) return enumType.values[value];
  const number = integerValue('int32', value);
  if (typeof number === 'number') return number;
  problems.push({ path, rule: 'json.enum_value', message: `${describe(value)} is not a value of ${typeName(enumType)}` });
  return undefined;
}

function scalarFromJson(type: string, value: unknown): ScalarValue | undefined {
  if (isIntegerType(type)) return integerValue(type, value);
  if (isFloatType(type)) {
    const number = floatFromJson(value);
    const overflowsFloat = type === 'float' && number !== undefined && Number.isFinite(number) && Math.abs(number) > maxFloat;
    return overflowsFloat ? undefined : number;
  }
  if (type === 'bool') return typeof value === 'boolean' ? value : undefined;
  if (type === 'string') return typeof value === 'string' ? value : undefined;
  return typeof value === 'string' ? bytesValue(value) : undefined;
}

function floatFromJson(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isNaN(number) ? undefined : number;
}

function typeError(path: string, expected: string, value: unknown, problems: Problem[]): undefined {
  problems.push({ path, rule: 'json.type', message: `expected ${expected}, got ${describe(value)}` });
  return undefined;
}

type WellKnownParser = (type: protobuf.Type, json: unknown, path: string, problems: Problem[]) => ProtoMessage | undefined;

/** A well-known type's field named as in its .proto; protobufjs's built-in copies use lowerCamelCase names. */
function fieldName(type: protobuf.Type, protoName: string): string {
  return type.fieldsArray.find((field) => (field.protoName || field.name) === protoName)?.name ?? protoName;
}

const durationPattern = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

const durationFromJson: WellKnownParser = (_type, json, path, problems) => {
  const match = typeof json === 'string' ? durationPattern.exec(json) : null;
  const seconds = match ? BigInt(match[2] ?? '0') : 0n;
  if (!match || seconds > maxDurationSeconds) {
    problems.push({ path, rule: 'json.duration', message: `expected a duration such as "1s" or "0.25s", got ${describe(json)}` });
    return undefined;
  }
  const nanos = Number((match[3] ?? '').padEnd(9, '0'));
  const sign = match[1] === '-' ? -1 : 1;
  return { seconds: BigInt(sign) * seconds, nanos: sign * nanos };
};

const wrapperFromJson: WellKnownParser = (type, json, path, problems) => {
  const valueField = type.fields.value;
  if (!valueField) return undefined;
  const value = scalarFromJson(valueField.type, json);
  return value === undefined ? typeError(path, `a ${valueField.type}`, json, problems) : { value };
};

function valueFromJson(json: unknown, path: string, problems: Problem[]): ProtoMessage | undefined {
  const valueType = wellKnownType('google.protobuf.Value');
  const kind = (protoName: string, value: unknown) => ({ [fieldName(valueType, protoName)]: value });
  if (json === null) return kind('null_value', 0);
  if (typeof json === 'number' || typeof json === 'bigint') return kind('number_value', Number(json));
  if (typeof json === 'string') return kind('string_value', json);
  if (typeof json === 'boolean') return kind('bool_value', json);
  if (Array.isArray(json)) return kind('list_value', listFromJson(json, path, problems));
  if (isProtoMessage(json)) return kind('struct_value', structFromJson(json, path, problems));
  return typeError(path, 'a JSON value', json, problems);
}

function listFromJson(json: readonly unknown[], path: string, problems: Problem[]): ProtoMessage {
  return { values: json.map((item, index) => valueFromJson(item, indexPath(path, index), problems)) };
}

function structFromJson(json: ProtoMessage, path: string, problems: Problem[]): ProtoMessage {
  const entries = Object.entries(json).map(([key, item]) => [key, valueFromJson(item, keyPath(path, key), problems)]);
  return { fields: Object.fromEntries(entries) };
}

function wellKnownType(name: string): protobuf.Type {
  const type = findMessageType(name);
  if (!type) throw new Error(`protobufjs lacks ${name}`);
  return type;
}

/** Well-known types whose JSON form sits under "value" when packed in an Any. */
const wellKnownFromJson: Readonly<Record<string, WellKnownParser>> = {
  'google.protobuf.Duration': durationFromJson,
  'google.protobuf.Value': (_type, json, path, problems) => valueFromJson(json, path, problems),
  'google.protobuf.Struct': (_type, json, path, problems) =>
    isProtoMessage(json) ? structFromJson(json, path, problems) : typeError(path, 'an object', json, problems),
  'google.protobuf.ListValue': (_type, json, path, problems) =>
    Array.isArray(json) ? listFromJson(json, path, problems) : typeError(path, 'an array', json, problems),
  'google.protobuf.Any': anyFromJson,
  ...Object.fromEntries(
    ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((name) => [
      `google.protobuf.${name}Value`,
      wrapperFromJson,
    ]),
  ),
};

function anyFromJson(_type: protobuf.Type, json: unknown, path: string, problems: Problem[]): ProtoMessage | undefined {
  if (!isProtoMessage(json) || typeof json['@type'] !== 'string') {
    problems.push({ path, rule: 'json.any_type', message: 'an Any needs "@type"' });
    return undefined;
  }
  const { '@type': typeUrl, ...fields } = json;
  const packedName = packedTypeName(typeUrl);
  const packedType = findMessageType(packedName);
  if (!packedType) {
    problems.push({ path, rule: 'any.unknown_type', message: `no loaded message type for type_url ${JSON.stringify(typeUrl)}` });
    return undefined;
  }
  const content = typeName(packedType) in wellKnownFromJson ? fields.value : fields;
  const packed = messageFromJson(packedType, content, anyPath(path, packedName), problems);
  return packed && packAny(packedType, packed);
}
