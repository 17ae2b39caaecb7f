// Checks one message of a named type: protoc-gen-validate rules, and envoy-rules.ts on top.
import { envoyMessageProblems } from './envoy-rules.ts';
import { toProtoMessage } from './from-plain.ts';
import { messageType, typeName } from './load-protos.ts';
import { type WalkContext, validateMessage } from './pgv-walk.ts';
import type { Problem, ProtoMessage } from './problem.ts';

/**
 * protoc-gen-validate rules only. `input` is a plain keep-case object as the generated code's
 * fromObject() takes (Any as `{type_url, value: Uint8Array}`) or the encoded message.
 */
export function checkPgv(fullTypeName: string, input: unknown): Problem[] {
  const type = messageType(fullTypeName);
  const problems: Problem[] = [];
  const message = toProtoMessage(type, input, '', problems);
  if (message) validateMessage(type, message, '', { problems });
  return problems;
}

/** protoc-gen-validate rules plus the rules of envoy-rules.ts. */
export function checkEnvoyMessage(fullTypeName: string, input: unknown): Problem[] {
  const type = messageType(fullTypeName);
  const problems: Problem[] = [];
  const message = toProtoMessage(type, input, '', problems);
  if (message) walkWithEnvoyRules(fullTypeName, message, '', { problems });
  return problems;
}

/** Validates a canonical message with both rule sets, also handing every message to `context.onMessage`. */
export function walkWithEnvoyRules(fullTypeName: string, message: ProtoMessage, path: string, context: WalkContext): void {
  validateMessage(messageType(fullTypeName), message, path, {
    problems: context.problems,
    onMessage(type, inner, innerPath) {
      context.problems.push(...envoyMessageProblems(typeName(type), inner, innerPath));
      context.onMessage?.(type, inner, innerPath);
    },
  });
}
