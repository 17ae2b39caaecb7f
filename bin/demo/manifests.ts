// The demo's Kubernetes manifests: a Service and the EndpointSlice a cluster would hold for
// the given backends (each backend plays one ready pod).
import { stringify } from 'yaml';
import type { EchoBackend } from './echo.ts';

export function demoManifests(backends: readonly EchoBackend[]): string {
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: 'demo' },
    spec: { ports: [{ name: 'grpc', port: 50051, targetPort: 'grpc', protocol: 'TCP', appProtocol: 'grpc' }] },
  };
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'echo-abcde', namespace: 'demo', labels: { 'kubernetes.io/service-name': 'echo' } },
    addressType: 'IPv4',
    ports: [{ name: 'grpc', port: backends[0]?.port ?? 50051, protocol: 'TCP' }],
    endpoints: backends.map((backend) => ({
      addresses: [backend.address],
      conditions: { ready: true },
      targetRef: { kind: 'Pod', name: backend.name, namespace: 'demo' },
      zone: 'zone-a',
    })),
  };
  return `${stringify(service)}---\n${stringify(slice)}`;
}
