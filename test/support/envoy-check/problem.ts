// One finding of the checker: where (a field path from the checked message), which rule, why.

export interface Problem {
  /** e.g. `filter_chains[0].filters[0].typed_config<envoy...HttpConnectionManager>.stat_prefix` */
  readonly path: string;
  /** e.g. `string.min_len`, `repeated.items.string.well_known_regex`, `envoy.router_last` */
  readonly rule: string;
  readonly message: string;
}

/** A decoded message as plain data: field names as in the .proto, unset fields absent. */
export type ProtoMessage = { readonly [field: string]: unknown };

export function fieldPath(parent: string, field: string): string {
  return parent === '' ? field : `${parent}.${field}`;
}

export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

export function keyPath(parent: string, key: string): string {
  return `${parent}[${JSON.stringify(key)}]`;
}

/** The path of the message packed in an `Any`, named by its type. */
export function anyPath(parent: string, packedType: string): string {
  return `${parent}<${packedType}>`;
}

export function isProtoMessage(value: unknown): value is ProtoMessage {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
