// google.protobuf.Any: Envoy unpacks every typed config it understands and validates the
// packed message too, so the checker does the same. A type it cannot find is an error.
import type protobuf from 'protobufjs';
import { decodeMessage } from './from-plain.ts';
import { findMessageType } from './load-protos.ts';
import { type Problem, type ProtoMessage, anyPath } from './problem.ts';

export interface UnpackedAny {
  readonly type: protobuf.Type;
  readonly message: ProtoMessage;
  readonly path: string;
}

/** The type name a type URL names: everything after its last `/`. */
export function packedTypeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

export function unpackAny(any: ProtoMessage, path: string, problems: Problem[]): UnpackedAny | undefined {
  const typeUrl = typeof any.type_url === 'string' ? any.type_url : '';
  const name = packedTypeName(typeUrl);
  const type = name === '' ? undefined : findMessageType(name);
  if (!type) {
    problems.push({ path, rule: 'any.unknown_type', message: `no loaded message type for type_url ${JSON.stringify(typeUrl)}` });
    return undefined;
  }
  const innerPath = anyPath(path, name);
  const value = any.value instanceof Uint8Array ? any.value : new Uint8Array();
  const message = decodeMessage(type, value, innerPath, problems);
  return message && { type, message, path: innerPath };
}
