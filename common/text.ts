// Text from clients and objects, cut to a size fit for a log line or a gRPC status.

/**
 * At most `max` characters of `text`, ending in "..." when cut, never with half a surrogate
 * pair: grpc-js cannot send a status message holding one (the stream would end without any).
 */
export function shortened(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3).toWellFormed()}...`;
}
