// Checks a configuration document (JSON or YAML, e.g. Envoy's bootstrap) the way Envoy loads
// one: proto3 JSON mapping into the message type, then validation.
import { parseDocument } from 'yaml';
import { walkWithEnvoyRules } from './check-message.ts';
import { messageType } from './load-protos.ts';
import type { Problem, ProtoMessage } from './problem.ts';
import { messageFromJson } from './proto-json.ts';

export interface ParsedDocument {
  /** Absent when the document could not be read at all. */
  readonly message?: ProtoMessage;
  readonly problems: readonly Problem[];
}

/** `document` is already parsed JSON (JSON.parse output or an object literal). */
export function parseProtoJson(fullTypeName: string, document: unknown): ParsedDocument {
  const problems: Problem[] = [];
  const message = messageFromJson(messageType(fullTypeName), document, '', problems);
  return message ? { message, problems } : { problems };
}

export function parseProtoYaml(fullTypeName: string, text: string): ParsedDocument {
  // Integers as bigint, so 64-bit values survive; the JSON mapping narrows them per field.
  const document = parseDocument(text, { intAsBigInt: true });
  if (document.errors.length > 0) {
    return { problems: document.errors.map((error) => ({ path: '', rule: 'yaml.syntax', message: error.message })) };
  }
  return parseProtoJson(fullTypeName, document.toJS());
}

export function checkProtoJson(fullTypeName: string, document: unknown): Problem[] {
  return validateParsed(fullTypeName, parseProtoJson(fullTypeName, document));
}

export function checkProtoYaml(fullTypeName: string, text: string): Problem[] {
  return validateParsed(fullTypeName, parseProtoYaml(fullTypeName, text));
}

function validateParsed(fullTypeName: string, parsed: ParsedDocument): Problem[] {
  const problems = [...parsed.problems];
  if (parsed.message) walkWithEnvoyRules(fullTypeName, parsed.message, '', { problems });
  return problems;
}
