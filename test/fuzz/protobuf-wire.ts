// Protocol buffer wire format, read and written by hand, so that encoded messages can be
// broken in the ways real decoders meet: flipped bits, truncation, duplicated, removed or
// reordered fields, lying lengths, overlong varints, wrong wire types, unknown fields.
import type { Random } from './random.ts';

export const WireType = { Varint: 0, Fixed64: 1, Len: 2, StartGroup: 3, EndGroup: 4, Fixed32: 5 } as const;

export interface WireField {
  readonly number: number;
  readonly wireType: number;
  /** The value as it follows the tag: for LEN the payload without its length prefix. */
  readonly payload: Uint8Array;
}

export function varint(value: bigint | number): Uint8Array {
  let rest = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    out.push(rest > 0n ? low | 0x80 : low);
  } while (rest > 0n);
  return Uint8Array.from(out);
}

export function tag(number: number, wireType: number): Uint8Array {
  return varint((BigInt(number) << 3n) | BigInt(wireType));
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function encodeField(field: WireField): Uint8Array {
  const prefix = field.wireType === WireType.Len ? [varint(field.payload.length)] : [];
  return concat([tag(field.number, field.wireType), ...prefix, field.payload]);
}

export function encodeFields(fields: readonly WireField[]): Uint8Array {
  return concat(fields.map(encodeField));
}

/** The top-level fields of a well-formed message; undefined when the bytes do not parse. */
export function parseFields(bytes: Uint8Array): WireField[] | undefined {
  const fields: WireField[] = [];
  let at = 0;
  const readVarint = (): bigint | undefined => {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (at >= bytes.length) return undefined;
      const byte = bytes[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
    return undefined;
  };
  while (at < bytes.length) {
    const key = readVarint();
    if (key === undefined) return undefined;
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    const start = at;
    let end: number;
    switch (wireType) {
      case WireType.Varint:
        if (readVarint() === undefined) return undefined;
        end = at;
        break;
      case WireType.Fixed64:
        end = at + 8;
        break;
      case WireType.Fixed32:
        end = at + 4;
        break;
      case WireType.Len: {
        const length = readVarint();
        if (length === undefined) return undefined;
        fields.push({ number, wireType, payload: bytes.subarray(at, at + Number(length)) });
        at += Number(length);
        if (at > bytes.length) return undefined;
        continue;
      }
      default:
        return undefined; // groups are not used by these messages
    }
    if (end > bytes.length) return undefined;
    fields.push({ number, wireType, payload: bytes.subarray(start, end) });
    at = end;
  }
  return fields;
}

/** A field of a random number and wire type with a payload to match (or not). */
export function randomField(random: Random, knownNumbers: readonly number[]): WireField {
  const number = random.weighted<() => number>([
    [4, () => random.pick(knownNumbers)],
    [2, () => random.between(1, 30)],
    [1, () => random.pick([0, 19_000, 19_999, 2 ** 29 - 1, 2 ** 29, 2 ** 32 - 1])],
    [1, () => random.between(1, 2 ** 29 - 1)],
  ])();
  const wireType = random.weighted<() => number>([[3, () => WireType.Varint], [4, () => WireType.Len], [1, () => WireType.Fixed64], [1, () => WireType.Fixed32], [1, () => WireType.StartGroup], [1, () => WireType.EndGroup], [1, () => random.pick([6, 7])]])();
  const payload = random.weighted<() => Uint8Array>([
    [3, () => varint(random.pick([0n, 1n, 127n, 128n, 2n ** 31n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n]))],
    [3, () => random.bytes(random.size(64))],
    [1, () => random.bytes(random.pick([4, 8]))],
  ])();
  return { number, wireType, payload };
}

/** One structural or bit-level mutation of an encoded message, described for failure messages. */
export interface Mutation {
  readonly description: string;
  readonly bytes: Uint8Array;
}

/**
 * Breaks `bytes` (an encoded message whose field numbers are `knownNumbers`) in one way.
 * `nested` mutates a length-delimited field's payload instead (a node, an error_detail, a map entry).
 */
export function mutate(random: Random, bytes: Uint8Array, knownNumbers: readonly number[]): Mutation {
  const fields = parseFields(bytes) ?? [];
  const at = () => random.below(bytes.length + 1);
  const choices: (readonly [number, () => Mutation])[] = [
    [3, () => {
      const out = Uint8Array.from(bytes);
      const flips = random.between(1, 8);
      for (let i = 0; i < flips && out.length > 0; i++) out[random.below(out.length)]! ^= 1 << random.below(8);
      return { description: `${flips} bit flips`, bytes: out };
    }],
    [2, () => {
      const cut = at();
      return { description: `truncated at ${cut} of ${bytes.length}`, bytes: bytes.subarray(0, cut) };
    }],
    [2, () => {
      const where = at();
      const noise = random.bytes(random.size(32));
      return { description: `${noise.length} random bytes inserted at ${where}`, bytes: concat([bytes.subarray(0, where), noise, bytes.subarray(where)]) };
    }],
    [2, () => {
      const extra = randomField(random, knownNumbers);
      const where = random.below(fields.length + 1);
      return { description: `field ${extra.number} wire type ${extra.wireType} inserted`, bytes: encodeFields([...fields.slice(0, where), extra, ...fields.slice(where)]) };
    }],
  ];
  if (fields.length > 0) {
    const index = random.below(fields.length);
    const field = fields[index]!;
    const without = [...fields.slice(0, index), ...fields.slice(index + 1)];
    choices.push(
      [2, () => ({ description: `field ${field.number} removed`, bytes: encodeFields(without) })],
      [2, () => ({ description: `field ${field.number} repeated`, bytes: encodeFields([...fields, field]) })],
      [1, () => ({ description: 'fields reordered', bytes: encodeFields(random.sample(fields, fields.length)) })],
      [2, () => {
        const wireType = random.pick([0, 1, 2, 3, 4, 5, 6, 7].filter((type) => type !== field.wireType));
        return { description: `field ${field.number} given wire type ${wireType}`, bytes: encodeFields([...without, { ...field, wireType }]) };
      }],
      [2, () => {
        const length = random.pick([0n, 1n, BigInt(field.payload.length + 1), 2n ** 31n - 1n, 2n ** 32n - 1n, 2n ** 63n, 2n ** 64n - 1n]);
        const lie = concat([tag(field.number, WireType.Len), varint(length), field.payload]);
        return { description: `field ${field.number} with length ${length} for ${field.payload.length} bytes`, bytes: concat([encodeFields(without), lie]) };
      }],
      [1, () => {
        // An overlong varint: continuation bits past the 10 bytes a varint may take.
        const overlong = new Uint8Array(random.between(10, 16)).fill(0xff);
        return { description: `field ${field.number} followed by an overlong varint`, bytes: concat([encodeFields(without), tag(field.number, WireType.Varint), overlong, Uint8Array.of(0x01)]) };
      }],
    );
    if (field.wireType === WireType.Len && field.payload.length > 0) {
      choices.push([3, () => {
        const inner = mutate(random, field.payload, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
        return { description: `inside field ${field.number}: ${inner.description}`, bytes: encodeFields([...fields.slice(0, index), { ...field, payload: inner.bytes }, ...fields.slice(index + 1)]) };
      }]);
    }
  }
  return random.weighted(choices)();
}
