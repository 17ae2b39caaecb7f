// Services with Gateway API route entries that exercise every mapping of the builders: each
// path match type, header matches of both kinds, query parameters and a method (Envoy only),
// weights across Services, a backend that does not exist, weights all zero, timeouts,
// retries on gRPC status names and on HTTP codes, and entries for one port or every port.
import type { ServiceModel, ServicePortModel } from '../../../k8s/model.ts';
import type { RouteBackendModel, RouteEntryModel, RouteMatchModel, RouteOrigin } from '../../../k8s/route-model.ts';

function ports(addresses: readonly string[]): ServicePortModel[] {
  const endpoints = (port: number) => addresses.map((address) => ({ address, port, zone: 'zone-a', health: 'HEALTHY' as const }));
  return [
    { name: 'http', port: 8080, protocol: 'TCP', endpoints: endpoints(8080) },
    { name: 'grpc', port: 50051, protocol: 'TCP', appProtocol: 'grpc', endpoints: endpoints(9000) },
  ];
}

export function origin(kind: RouteOrigin['kind'], name: string, rule: number, match = 0): RouteOrigin {
  return { kind, namespace: 'demo', name, rule, match };
}

export function backend(name: string, port: number, weight: number, resolved = true): RouteBackendModel {
  return { namespace: 'demo', name, port, weight, resolved };
}

export function matching(match: Partial<RouteMatchModel>): RouteMatchModel {
  return { headers: [], queryParams: [], ...match };
}

export function routedService(name: string, routes: readonly RouteEntryModel[], addresses: readonly string[] = ['10.0.1.1']): ServiceModel {
  return { namespace: 'demo', name, ports: ports(addresses), ipFamily: 'IPv4', annotations: {}, ...(routes.length > 0 && { routes }) };
}

export const echoRoutes: readonly RouteEntryModel[] = [
  {
    origin: origin('GRPCRoute', 'echo-canary', 0),
    port: 50051,
    match: matching({ path: { type: 'Exact', value: '/kubexds.demo.Echo/Hello' }, headers: [{ name: 'x-user', type: 'Exact', value: 'alice' }] }),
    backends: [backend('echo', 50051, 90), backend('echo-canary', 50051, 10)],
    timeoutMs: 1_500,
    retry: { on: ['unavailable', 'RESOURCE_EXHAUSTED'], attempts: 2, backoffMs: 50 },
  },
  {
    origin: origin('GRPCRoute', 'echo-canary', 1),
    port: 50051,
    match: matching({ path: { type: 'PathPrefix', value: '/kubexds.demo.Echo/' }, headers: [{ name: 'x-env', type: 'RegularExpression', value: 'canary|beta' }] }),
    backends: [backend('echo-canary', 50051, 1)],
  },
  {
    origin: origin('GRPCRoute', 'echo-canary', 2),
    port: 50051,
    match: matching({ path: { type: 'RegularExpression', value: '/[^/]+/Bye' } }),
    backends: [backend('echo-canary', 50051, 50), backend('missing', 50051, 50, false)],
  },
  {
    origin: origin('HTTPRoute', 'echo-http', 0),
    port: 8080,
    match: matching({ path: { type: 'PathPrefix', value: '/api' }, queryParams: [{ name: 'version', type: 'Exact', value: 'v2' }], method: 'GET' }),
    backends: [backend('echo-canary', 8080, 1)],
    timeoutMs: 2_000,
    retry: { on: ['503'], attempts: 1 },
  },
  {
    origin: origin('HTTPRoute', 'echo-http', 1),
    match: matching({ path: { type: 'PathPrefix', value: '/drain' } }),
    backends: [backend('echo-canary', 8080, 0)],
  },
];

export const routedEcho = routedService('echo', echoRoutes);
export const echoCanary = routedService('echo-canary', [], ['10.0.2.1']);

export const routedModel: readonly ServiceModel[] = [routedEcho, echoCanary];
