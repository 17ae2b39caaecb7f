// The one options object of the builders. The entry point validates values and passes the
// result down frozen; the builders trust it.

export interface EnvoyConfigOptions {
  /** The Kubernetes cluster domain: FQDNs are `S.N.svc.<clusterDomain>`. */
  readonly clusterDomain: string;
  /** Ports the Envoy gateway listens on (0.0.0.0). */
  readonly gatewayPorts: readonly number[];
  /**
   * Upper bound on one call through Envoy (the route timeout is off so streams can live).
   * 0 means no bound; a client's `grpc-timeout` header applies either way.
   */
  readonly maxStreamDurationMs: number;
  /** Envoy's TCP connect timeout to an endpoint. */
  readonly connectTimeoutMs: number;
  /** Envoy `retry_on` conditions for gRPC ports. */
  readonly grpcRetryOn: string;
  /** Retries Envoy makes on a gRPC port (0: no retry policy). */
  readonly grpcNumRetries: number;
  /** Envoy writes an access log line per request to stdout. */
  readonly accessLog: boolean;
  /**
   * How long Envoy may hold health-only and weight-only endpoint changes before it applies
   * them (its own default is 1 s); additions and removals apply at once. 0: the control plane
   * already coalesces changes before it pushes. Envoy 1.40 applies a pod turning DRAINING at
   * once either way (measured: npm run bench, envoy-drain); older Envoys batch it.
   */
  readonly updateMergeWindowMs: number;
}

export const defaultEnvoyConfigOptions: EnvoyConfigOptions = Object.freeze({
  clusterDomain: 'cluster.local',
  gatewayPorts: Object.freeze([8080]),
  maxStreamDurationMs: 3_600_000,
  connectTimeoutMs: 5_000,
  grpcRetryOn: 'connect-failure,refused-stream,unavailable,resource-exhausted',
  grpcNumRetries: 2,
  accessLog: false,
  updateMergeWindowMs: 0,
});

/** The defaults with `overrides` applied (undefined ones ignored), frozen. */
export function envoyConfigOptions(overrides: Partial<EnvoyConfigOptions> = {}): EnvoyConfigOptions {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const gatewayPorts = Object.freeze([...(overrides.gatewayPorts ?? defaultEnvoyConfigOptions.gatewayPorts)]);
  return Object.freeze({ ...defaultEnvoyConfigOptions, ...given, gatewayPorts });
}
