// A small model that exercises every rule of the builders: named and unnamed ports, a
// multi-port Service, one Service name in two namespaces on the same port, zones, draining
// endpoints, IPv6, h2c, and a UDP port that gets no resources.
import type { EndpointModel, ServiceModel, ServicePortModel } from '../../../k8s/model.ts';

function endpoint(address: string, port: number, zone: string, health: EndpointModel['health'] = 'HEALTHY'): EndpointModel {
  return { address, port, zone, health };
}

function service(namespace: string, name: string, ports: ServicePortModel[], ipFamily: ServiceModel['ipFamily'] = 'IPv4'): ServiceModel {
  return { namespace, name, ports, ipFamily, annotations: {} };
}

export const demoEcho = service('demo', 'echo', [
  {
    name: 'http',
    port: 8080,
    protocol: 'TCP',
    endpoints: [endpoint('10.0.1.1', 8080, 'zone-a'), endpoint('10.0.2.1', 8080, 'zone-b')],
  },
  {
    name: 'grpc',
    port: 50051,
    protocol: 'TCP',
    appProtocol: 'grpc',
    endpoints: [
      endpoint('10.0.1.1', 9000, 'zone-a'),
      endpoint('10.0.1.2', 9000, 'zone-a', 'DRAINING'),
      endpoint('10.0.1.3', 9000, 'zone-a'),
      endpoint('10.0.2.1', 9000, 'zone-b'),
    ],
  },
]);

/** Same name as demo/echo, same port: the bare short forms collide. Every endpoint drains. */
export const stagingEcho = service('staging', 'echo', [
  {
    name: '',
    port: 50051,
    protocol: 'TCP',
    endpoints: [endpoint('10.1.0.1', 50051, 'zone-a', 'DRAINING'), endpoint('10.1.0.2', 50051, 'zone-b')],
  },
]);

export const ipv6Greeter = service(
  'demo',
  'greeter',
  [
    {
      name: '',
      port: 9000,
      protocol: 'TCP',
      appProtocol: 'kubernetes.io/h2c',
      endpoints: [endpoint('fd00::1', 9000, ''), endpoint('fd00::2', 9000, '')],
    },
  ],
  'IPv6',
);

export const kubeDns = service('kube-system', 'kube-dns', [
  { name: 'dns', port: 53, protocol: 'UDP', endpoints: [endpoint('10.2.0.1', 53, 'zone-a')] },
  { name: 'dns-tcp', port: 53, protocol: 'TCP', endpoints: [endpoint('10.2.0.1', 53, 'zone-a')] },
]);

export const sampleModel: readonly ServiceModel[] = [demoEcho, stagingEcho, ipv6Greeter, kubeDns];
