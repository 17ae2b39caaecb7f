// Service and EndpointSlice objects as the API server stores them, for the fake API server.

type Json = Record<string, unknown>;

export function serviceObject(namespace: string, name: string, port = 50051): Json {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { ports: [{ name: 'grpc', port, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' }] },
  };
}

/** The Service's one EndpointSlice, every address ready, on `targetPort`. */
export function sliceObject(namespace: string, service: string, addresses: readonly string[], targetPort: number): Json {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-abcde`, namespace, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'grpc', port: targetPort, protocol: 'TCP' }],
    endpoints: addresses.map((address, i) => ({
      addresses: [address],
      conditions: { ready: true },
      zone: 'zone-a',
      targetRef: { kind: 'Pod', name: `${service}-${i}`, namespace },
    })),
  };
}

/** The ClusterLoadAssignment (EDS) name of a Service port: `outbound|P||FQDN` (docs/design.md §2). */
export function edsName(namespace: string, service: string, port = 50051): string {
  return `outbound|${port}||${service}.${namespace}.svc.cluster.local`;
}
