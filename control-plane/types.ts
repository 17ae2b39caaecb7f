// Resource types served over ADS, in the order pushes go out (make before break:
// clusters and their endpoints exist before listeners and routes point at them).

export const TypeUrl = {
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  Endpoint: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  Route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
} as const;

export type TypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

export const pushOrder: readonly TypeUrl[] = [TypeUrl.Cluster, TypeUrl.Endpoint, TypeUrl.Listener, TypeUrl.Route];

const known = new Set<string>(pushOrder);
export function isTypeUrl(value: string): value is TypeUrl {
  return known.has(value);
}

/** LDS and CDS responses carry every subscribed resource; a missing one means deleted. */
export function isFullState(type: TypeUrl): boolean {
  return type === TypeUrl.Listener || type === TypeUrl.Cluster;
}

/** Short names for logs and status tables. */
export const typeShortName: Record<TypeUrl, string> = {
  [TypeUrl.Cluster]: 'CDS',
  [TypeUrl.Endpoint]: 'EDS',
  [TypeUrl.Listener]: 'LDS',
  [TypeUrl.Route]: 'RDS',
};
