// Scalar field types and the JS values that stand for them. Canonical form: 32-bit integers and
// floating point as number, 64-bit integers as bigint, bytes as Uint8Array.

const int32Range = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const uint32Range = [0n, 2n ** 32n - 1n] as const;
const int64Range = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const uint64Range = [0n, 2n ** 64n - 1n] as const;

const integerRanges: Readonly<Record<string, readonly [bigint, bigint]>> = {
  int32: int32Range,
  sint32: int32Range,
  sfixed32: int32Range,
  uint32: uint32Range,
  fixed32: uint32Range,
  int64: int64Range,
  sint64: int64Range,
  sfixed64: int64Range,
  uint64: uint64Range,
  fixed64: uint64Range,
};

export type ScalarValue = number | bigint | boolean | string | Uint8Array;

export function isIntegerType(type: string): boolean {
  return type in integerRanges;
}

export function is64BitType(type: string): boolean {
  return integerRanges[type] === int64Range || integerRanges[type] === uint64Range;
}

export function isFloatType(type: string): boolean {
  return type === 'double' || type === 'float';
}

export function zeroValue(type: string): ScalarValue {
  if (is64BitType(type)) return 0n;
  if (isIntegerType(type) || isFloatType(type)) return 0;
  if (type === 'bool') return false;
  if (type === 'string') return '';
  return new Uint8Array();
}

/**
 * An integer of the given field type, or undefined when the value is not one or is out of range.
 * Accepts numbers, bigints, decimal strings and protobufjs Long objects.
 */
export function integerValue(type: string, value: unknown): number | bigint | undefined {
  const range = integerRanges[type];
  const integer = toBigInt(value);
  if (!range || integer === undefined || integer < range[0] || integer > range[1]) return undefined;
  return is64BitType(type) ? integer : Number(integer);
}

export function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : undefined;
  if (typeof value === 'string') return /^-?\d+$/.test(value) ? BigInt(value) : undefined;
  if (isLongLike(value)) {
    const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
    return value.unsigned ? bits : BigInt.asIntN(64, bits);
  }
  return undefined;
}

interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

function isLongLike(value: unknown): value is LongLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as LongLike).low === 'number' &&
    typeof (value as LongLike).high === 'number'
  );
}

const base64Pattern = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Bytes given as Uint8Array, or as base64 (standard or URL-safe, padding optional). */
export function bytesValue(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== 'string' || !base64Pattern.test(value)) return undefined;
  // Node's base64 decoder reads both alphabets.
  return new Uint8Array(Buffer.from(value, 'base64'));
}
