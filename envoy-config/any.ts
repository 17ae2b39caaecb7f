// google.protobuf.Any from a generated message type and a plain message object.
import type { google } from '../generated/envoy.js';

/** What packAny needs of a generated message class. */
export interface MessageType<T> {
  encode(message: T): { finish(): Uint8Array };
  getTypeUrl(prefix?: string): string;
}

export function packAny<T>(type: MessageType<T>, message: T): google.protobuf.IAny {
  return { type_url: type.getTypeUrl(), value: type.encode(message).finish() };
}
