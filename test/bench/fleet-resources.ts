// The resources of the fleet benchmark's Services as kube-xds serves them to a gRPC client,
// fetched from it over ADS so that the floor and go-control-plane serve the very same bytes,
// and the hot Service's endpoints at any generation.
import { encodeResource, type Resource } from '../../control-plane/resource.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy, google } from '../../generated/envoy.js';
import { grpcNode, RawAdsClient } from '../support/raw-ads-client.ts';
import type { FleetNames } from './fleet-clients.ts';
import { generationPrefix } from './fleet-wire.ts';
import { edsName } from './k8s-objects.ts';

export const servicePort = 50051;

/** What a gRPC client with target `xds:///FQDN:PORT` asks for (docs/design.md §2). */
export function namesOf(namespace: string, service: string): FleetNames {
  const authority = `${service}.${namespace}.svc.cluster.local:${servicePort}`;
  const cluster = edsName(namespace, service, servicePort);
  return { listener: authority, route: authority, cluster, endpoint: cluster };
}

export function nameOf(names: FleetNames, type: TypeUrl): string {
  return type === TypeUrl.Listener ? names.listener : type === TypeUrl.Route ? names.route : type === TypeUrl.Cluster ? names.cluster : names.endpoint;
}

const decoders: Record<TypeUrl, (bytes: Uint8Array) => object> = {
  [TypeUrl.Listener]: (bytes) => envoy.config.listener.v3.Listener.decode(bytes),
  [TypeUrl.Route]: (bytes) => envoy.config.route.v3.RouteConfiguration.decode(bytes),
  [TypeUrl.Cluster]: (bytes) => envoy.config.cluster.v3.Cluster.decode(bytes),
  [TypeUrl.Endpoint]: (bytes) => envoy.config.endpoint.v3.ClusterLoadAssignment.decode(bytes),
};

/** Every proxyless resource kube-xds at `address` serves for `services` of `namespace`. */
export async function fetchResources(address: string, namespace: string, services: readonly string[]): Promise<Map<TypeUrl, Resource[]>> {
  const client = new RawAdsClient(address, grpcNode('fleet-bench-fetch'));
  const byType = new Map<TypeUrl, Resource[]>();
  try {
    for (const type of [TypeUrl.Listener, TypeUrl.Route, TypeUrl.Cluster, TypeUrl.Endpoint]) {
      const wanted = services.map((service) => nameOf(namesOf(namespace, service), type));
      client.request(type, wanted);
      const resources = new Map<string, Resource>();
      while (resources.size < services.length) {
        const response = await client.nextOf(type);
        client.request(type, wanted); // ACK
        for (const any of response.resources) {
          const resource = encodeResource(type, decoders[type](any.value!) as never);
          resources.set(resource.name, resource);
        }
      }
      byType.set(type, [...resources.values()]);
    }
  } finally {
    client.close();
  }
  return byType;
}

/**
 * A ClusterLoadAssignment of kube-xds's (an encoded Any) with generation g's addresses, same
 * hosts in the same order: byte for byte what kube-xds serves once the EndpointSlice has them.
 */
export function endpointsAt(any: Uint8Array, generation: number): Resource {
  const assignment = envoy.config.endpoint.v3.ClusterLoadAssignment.decode(google.protobuf.Any.decode(any).value);
  for (const locality of assignment.endpoints) {
    for (const lb of locality.lb_endpoints ?? []) {
      const socket = lb.endpoint?.address?.socket_address;
      if (socket?.address) socket.address = generationPrefix(generation) + socket.address.split('.')[3];
    }
  }
  return encodeResource(TypeUrl.Endpoint, assignment);
}
