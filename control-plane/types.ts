// The one registry of the resource types served over ADS: for each, how it is encoded and
// named, whether state-of-the-world responses carry its full set, and what it depends on.
// Listed in the order pushes go out (make before break: clusters and their endpoints exist
// before listeners and routes point at them); the streams send removals in the reverse order.
import type protobuf from 'protobufjs/minimal.js';
import { envoy } from '../generated/envoy.js';

export const TypeUrl = {
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  Endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  Route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
} as const;

export type TypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

export type Listener = envoy.config.listener.v3.IListener;
export type RouteConfiguration = envoy.config.route.v3.IRouteConfiguration;
export type Cluster = envoy.config.cluster.v3.ICluster;
export type ClusterLoadAssignment = envoy.config.endpoint.v3.IClusterLoadAssignment;

export interface MessageOf {
  [TypeUrl.Listener]: Listener;
  [TypeUrl.Route]: RouteConfiguration;
  [TypeUrl.Cluster]: Cluster;
  [TypeUrl.Endpoint]: ClusterLoadAssignment;
}

export interface ResourceType<T extends TypeUrl = TypeUrl> {
  readonly url: T;
  /** For logs and status tables. */
  readonly shortName: 'CDS' | 'EDS' | 'LDS' | 'RDS';
  /** State-of-the-world responses carry every subscribed resource; a missing one means deleted. */
  readonly fullState: boolean;
  /** Appends the encoded message to `writer` (one reused writer encodes every resource). */
  encode(message: MessageOf[T], writer: protobuf.Writer): protobuf.Writer;
  nameOf(message: MessageOf[T]): string | null | undefined;
  /** The EDS resource a cluster needs: resent after the cluster changes (Envoy warms it until then). */
  endpointsOf?(message: MessageOf[T]): string | undefined;
}

const cluster: ResourceType<typeof TypeUrl.Cluster> = {
  url: TypeUrl.Cluster,
  shortName: 'CDS',
  fullState: true,
  encode: (m, writer) => envoy.config.cluster.v3.Cluster.encode(m, writer),
  nameOf: (m) => m.name,
  endpointsOf: (m) => (m.type === envoy.config.cluster.v3.Cluster.DiscoveryType.EDS ? m.eds_cluster_config?.service_name || m.name || undefined : undefined),
};
const endpoint: ResourceType<typeof TypeUrl.Endpoint> = {
  url: TypeUrl.Endpoint,
  shortName: 'EDS',
  fullState: false,
  encode: (m, writer) => envoy.config.endpoint.v3.ClusterLoadAssignment.encode(m, writer),
  nameOf: (m) => m.cluster_name,
};
const listener: ResourceType<typeof TypeUrl.Listener> = {
  url: TypeUrl.Listener,
  shortName: 'LDS',
  fullState: true,
  encode: (m, writer) => envoy.config.listener.v3.Listener.encode(m, writer),
  nameOf: (m) => m.name,
};
const route: ResourceType<typeof TypeUrl.Route> = {
  url: TypeUrl.Route,
  shortName: 'RDS',
  fullState: false,
  encode: (m, writer) => envoy.config.route.v3.RouteConfiguration.encode(m, writer),
  nameOf: (m) => m.name,
};

/** In push order. */
export const resourceTypes: readonly ResourceType[] = [cluster, endpoint, listener, route] as readonly ResourceType[];

const byUrl = new Map<string, ResourceType>(resourceTypes.map((type) => [type.url, type]));

export function resourceType<T extends TypeUrl>(url: T): ResourceType<T> {
  return byUrl.get(url) as unknown as ResourceType<T>;
}

export const pushOrder: readonly TypeUrl[] = resourceTypes.map((type) => type.url);

export function isTypeUrl(value: string): value is TypeUrl {
  return byUrl.has(value);
}

export function isFullState(type: TypeUrl): boolean {
  return resourceType(type).fullState;
}

export const typeShortName = Object.fromEntries(resourceTypes.map((type) => [type.url, type.shortName])) as Record<TypeUrl, ResourceType['shortName']>;
