// The plain model every later stage builds from: what the Kubernetes objects mean for
// traffic, with nothing Kubernetes-specific left. All lists are sorted so equal clusters
// give byte-equal resources.
import type { RouteEntryModel } from './route-model.ts';

/** HEALTHY: ready. DRAINING: terminating but still serving (Envoy drains, gRPC skips). */
export type EndpointHealth = 'HEALTHY' | 'DRAINING';

export interface EndpointModel {
  /** An IP literal (v4 or v6), the endpoint's addresses[0]. */
  readonly address: string;
  /** The resolved target port for this Service port. */
  readonly port: number;
  /** The EndpointSlice `zone`, or '' when unset. */
  readonly zone: string;
  readonly health: EndpointHealth;
  /** `targetRef.name` when it is a Pod, for status pages and logs. */
  readonly pod?: string;
}

export interface ServicePortModel {
  /** The Service port name ('' for a single unnamed port). */
  readonly name: string;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP' | 'SCTP';
  /** `appProtocol` from the Service port, when set (e.g. 'grpc', 'kubernetes.io/h2c'). */
  readonly appProtocol?: string;
  /** Sorted by address, then port; unique by address+port. */
  readonly endpoints: readonly EndpointModel[];
}

export interface ServiceModel {
  readonly namespace: string;
  readonly name: string;
  /** Sorted by port number. */
  readonly ports: readonly ServicePortModel[];
  /** The address family used for endpoints (spec.ipFamilies[0], default IPv4). */
  readonly ipFamily: 'IPv4' | 'IPv6';
  /**
   * The Service's annotations whose key starts with `kube-xds.io/` (for traffic policy),
   * sorted by key. Others are dropped: they would only make unrelated edits change the model.
   */
  readonly annotations: Readonly<Record<string, string>>;
  /**
   * Entries from the GRPCRoutes and HTTPRoutes attached to this Service (mesh routing), in
   * the order they are tried (the Gateway API's precedence). Absent or empty: every request
   * goes to the Service's own cluster, as without routes.
   */
  readonly routes?: readonly RouteEntryModel[];
}

/** `namespace/name`: the key of a Service everywhere in the model. */
export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
