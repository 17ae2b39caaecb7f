// The one registry of coded errors. Every error kube-xds raises on purpose carries a stable
// code, so logs, metrics and tests can tell causes apart without matching on messages.
import { getSystemErrorMap } from 'node:util';

export const ErrorCode = {
  /** A command-line flag or environment variable is missing or malformed. */
  BadConfig: 'KXDS_BAD_CONFIG',
  /** A Kubernetes object (Service, EndpointSlice) cannot be turned into the model. */
  BadObject: 'KXDS_BAD_OBJECT',
  /** A manifest file of the file source cannot be read or parsed. */
  BadManifest: 'KXDS_BAD_MANIFEST',
  /** A DiscoveryRequest that cannot be decoded or breaks the protocol. */
  BadRequest: 'KXDS_BAD_REQUEST',
  /** A client went over one of the server's limits (streams, names, request size or rate, buffered bytes). */
  LimitExceeded: 'KXDS_LIMIT_EXCEEDED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class KubeXdsError extends Error {
  readonly code: ErrorCode;
  /** Structured context for logs (not `details`: uvu hides errors carrying that field). */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = 'KubeXdsError';
    this.code = code;
    this.context = Object.freeze({ ...context });
  }
}

export function configError(message: string, context?: Record<string, unknown>): KubeXdsError {
  return new KubeXdsError(ErrorCode.BadConfig, message, context);
}

export function badObject(message: string, context?: Record<string, unknown>): KubeXdsError {
  return new KubeXdsError(ErrorCode.BadObject, message, context);
}

export function badRequest(message: string, context?: Record<string, unknown>): KubeXdsError {
  return new KubeXdsError(ErrorCode.BadRequest, message, context);
}

/** `limit` is one of control-plane/limits.ts's names; the stream that went over it is ended. */
export function limitExceeded(limit: string, message: string): KubeXdsError {
  return new KubeXdsError(ErrorCode.LimitExceeded, message, { limit });
}

/** "address already in use" for an error coded EADDRINUSE; undefined for errors without a system code. */
export function systemErrorText(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  for (const [name, text] of getSystemErrorMap().values()) if (name === code) return text;
  return undefined;
}

/** A readable one-liner for anything thrown, coded or not. */
export function describeError(error: unknown): string {
  if (error instanceof KubeXdsError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
