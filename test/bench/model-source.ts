// Generated Service models for benchmarks that skip Kubernetes (fed through
// test/support/memory-source.ts).
import type { EndpointModel, ServiceModel } from '../../k8s/model.ts';

const zones = ['zone-a', 'zone-b', 'zone-c'];

/** `count` endpoints for Service number `index`, with a `generation` folded into the addresses. */
export function generatedEndpoints(index: number, count: number, generation = 0, port = 8080): EndpointModel[] {
  const endpoints: EndpointModel[] = [];
  for (let e = 0; e < count; e++) {
    const host = ((generation * count + e) % 250) + 1;
    endpoints.push({ address: `10.${(index >> 8) & 255}.${index & 255}.${host}`, port, zone: zones[e % zones.length]!, health: 'HEALTHY', pod: `pod-${index}-${host}` });
  }
  return endpoints.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port));
}

export function generatedService(index: number, endpointsPerService: number, generation = 0): ServiceModel {
  return {
    namespace: `ns-${String(index % 100).padStart(2, '0')}`,
    name: `svc-${String(index).padStart(5, '0')}`,
    ports: [{ name: 'grpc', port: 50051, protocol: 'TCP', appProtocol: 'grpc', endpoints: generatedEndpoints(index, endpointsPerService, generation) }],
    ipFamily: 'IPv4',
    annotations: {},
  };
}
