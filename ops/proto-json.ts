// A resource as a client was sent it (an encoded google.protobuf.Any), decoded for people:
// proto3 JSON as Envoy's config_dump prints it. Proto field names, enum names, 64-bit
// integers as strings, bytes as base64; every Any unpacked in place as
// `{ "@type": url, ...fields }`; Durations, wrappers and Structs in their JSON forms.
import type { IConversionOptions } from 'protobufjs';
import { envoy, google, udpa, xds } from '../generated/envoy.js';

interface GeneratedType {
  decode(bytes: Uint8Array): object;
  toObject(message: object, options: IConversionOptions): Record<string, unknown>;
}

const conversion: IConversionOptions = { longs: String, enums: String, defaults: false, json: true };
const namespaces: Record<string, unknown> = { envoy, google, udpa, xds };
const wkt = google.protobuf;

/** The generated class of a type URL's message, or undefined when the code has none. */
function generatedType(typeUrl: string): GeneratedType | undefined {
  let node: unknown = namespaces;
  for (const part of typeUrl.slice(typeUrl.lastIndexOf('/') + 1).split('.')) {
    if (node === null || (typeof node !== 'object' && typeof node !== 'function') || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  const type = node as Partial<GeneratedType> | undefined;
  return typeof type?.decode === 'function' && typeof type.toObject === 'function' ? (type as GeneratedType) : undefined;
}

/** An encoded google.protobuf.Any as proto3 JSON. Throws when the bytes do not decode. */
export function anyToJson(encodedAny: Uint8Array): Record<string, unknown> {
  const any = wkt.Any.decode(encodedAny);
  return unpack(any.type_url, any.value);
}

function unpack(typeUrl: string, value: Uint8Array): Record<string, unknown> {
  const type = generatedType(typeUrl);
  // A type this build does not know stays an Any, its value in base64 (as protoc prints it).
  if (!type) return { '@type': typeUrl, value: base64(value) };
  const message = type.decode(value);
  const json = toJson(message, type.toObject(message, conversion));
  // A well-known type packed in an Any keeps its JSON form under "value".
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? { '@type': typeUrl, ...json } : { '@type': typeUrl, value: json };
}

/**
 * `plain` is toObject's output for `decoded`; walking both together, the decoded side says
 * which values are well-known types (the plain side no longer can).
 */
function toJson(decoded: unknown, plain: unknown): unknown {
  if (decoded instanceof wkt.Any) return unpack(decoded.type_url, decoded.value);
  if (decoded instanceof wkt.Duration) return duration(decoded);
  if (decoded instanceof wkt.Timestamp) return timestamp(decoded);
  if (decoded instanceof wkt.Struct || decoded instanceof wkt.Value || decoded instanceof wkt.ListValue) return structJson(decoded);
  const wrapped = wrapperDefault(decoded);
  if (wrapped !== undefined) return (plain as { value?: unknown }).value ?? wrapped;
  if (plain instanceof Uint8Array) return base64(plain);
  if (Array.isArray(plain)) return plain.map((item, index) => toJson((decoded as unknown[] | undefined)?.[index], item));
  if (plain === null || typeof plain !== 'object') return plain;
  const fields = decoded as Record<string, unknown> | undefined;
  return Object.fromEntries(Object.entries(plain).map(([key, value]) => [key, toJson(fields?.[key], value)]));
}

/** The JSON value of a wrapper left at its default (toObject leaves it out), or undefined for other values. */
function wrapperDefault(decoded: unknown): unknown {
  if (decoded instanceof wkt.DoubleValue || decoded instanceof wkt.FloatValue || decoded instanceof wkt.Int32Value || decoded instanceof wkt.UInt32Value) return 0;
  if (decoded instanceof wkt.Int64Value || decoded instanceof wkt.UInt64Value) return '0';
  if (decoded instanceof wkt.BoolValue) return false;
  if (decoded instanceof wkt.StringValue || decoded instanceof wkt.BytesValue) return '';
  return undefined;
}

/** "1.5s", "-0.010s", "30s": seconds with 0, 3, 6 or 9 fractional digits. */
function duration(value: google.protobuf.IDuration): string {
  const seconds = BigInt(String(value.seconds ?? 0));
  const nanos = value.nanos ?? 0;
  const sign = seconds < 0n || nanos < 0 ? '-' : '';
  return `${sign}${seconds < 0n ? -seconds : seconds}${fraction(Math.abs(nanos))}s`;
}

/** RFC 3339 in UTC, e.g. "2024-05-01T10:00:20.021Z". */
function timestamp(value: google.protobuf.ITimestamp): string {
  const seconds = Number(String(value.seconds ?? 0));
  return new Date(seconds * 1000).toISOString().replace('.000Z', `${fraction(value.nanos ?? 0)}Z`);
}

function fraction(nanos: number): string {
  if (nanos === 0) return '';
  let digits = String(nanos).padStart(9, '0');
  while (digits.length > 3 && digits.endsWith('000')) digits = digits.slice(0, -3);
  return `.${digits}`;
}

function structJson(value: google.protobuf.IStruct | google.protobuf.IValue | google.protobuf.IListValue): unknown {
  if (value instanceof wkt.Struct) return Object.fromEntries(Object.entries(value.fields ?? {}).map(([key, field]) => [key, structJson(field)]));
  if (value instanceof wkt.ListValue) return (value.values ?? []).map(structJson);
  const field = value as google.protobuf.Value;
  switch (field.kind) {
    case 'numberValue': return field.numberValue;
    case 'stringValue': return field.stringValue;
    case 'boolValue': return field.boolValue;
    case 'structValue': return structJson(field.structValue!);
    case 'listValue': return structJson(field.listValue!);
    default: return null;
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
