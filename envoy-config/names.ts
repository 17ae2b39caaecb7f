// Resource names and the authorities clients dial (docs/design.md §2: a user-facing contract).
import type { ServiceModel, ServicePortModel } from '../k8s/model.ts';

/** `S.N.svc.<clusterDomain>`. */
export function serviceFqdn(service: Pick<ServiceModel, 'namespace' | 'name'>, clusterDomain: string): string {
  return `${service.name}.${service.namespace}.svc.${clusterDomain}`;
}

/** `outbound|P||FQDN`: the Cluster name and its EDS service_name (Istio's form). */
export function clusterName(service: ServiceModel, port: ServicePortModel, clusterDomain: string): string {
  return clusterNameOf(service, port.port, clusterDomain);
}

/** clusterName for a Service port known by namespace, name and port number (a route's backend). */
export function clusterNameOf(service: Pick<ServiceModel, 'namespace' | 'name'>, port: number, clusterDomain: string): string {
  return `outbound|${port}||${serviceFqdn(service, clusterDomain)}`;
}

/**
 * `unresolved||FQDN`: a cluster of this Service's own that never has an endpoint. Its routes
 * send there the share of a backend that does not exist, so that share fails (UNAVAILABLE)
 * rather than going elsewhere. The Service's name keeps it apart from every other Service's.
 */
export function unresolvedClusterName(service: Pick<ServiceModel, 'namespace' | 'name'>, clusterDomain: string): string {
  return `unresolved||${serviceFqdn(service, clusterDomain)}`;
}

/** `FQDN:P`: the RouteConfiguration shared by every proxyless alias of a Service port. */
export function proxylessRouteConfigName(service: ServiceModel, port: ServicePortModel, clusterDomain: string): string {
  return `${serviceFqdn(service, clusterDomain)}:${port.port}`;
}

/**
 * Every name a proxyless client may dial for a Service port, `FQDN:P` first: `FQDN`, `S.N`
 * and `S.N.svc` with `:P`, and with `:PN` when the port is named (unless the name is another
 * port's number). Each is a Listener name and a domain of the shared virtual host.
 */
export function proxylessAuthorities(service: ServiceModel, port: ServicePortModel, clusterDomain: string): string[] {
  const hosts = [serviceFqdn(service, clusterDomain), `${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`];
  // A port may be named with another port's number ("80" on port 8080 beside port 80):
  // that name would give the other port's authorities, so it gets none of its own.
  const nameIsAPort = service.ports.some((other) => String(other.port) === port.name);
  const suffixes = port.name === '' || nameIsAPort ? [port.port] : [port.port, port.name];
  return suffixes.flatMap((suffix) => hosts.map((host) => `${host}:${suffix}`));
}

/**
 * The `:authority` values Envoy may route to a Service port: `S`, `S.N`, `S.N.svc` and the
 * FQDN, each bare and with `:P`. Short forms that collide inside one RouteConfiguration are
 * removed later (see domains.ts).
 */
export function envoyDomainCandidates(service: ServiceModel, port: ServicePortModel, clusterDomain: string): string[] {
  const hosts = [service.name, `${service.name}.${service.namespace}`, `${service.name}.${service.namespace}.svc`, serviceFqdn(service, clusterDomain)];
  return hosts.flatMap((host) => [host, `${host}:${port.port}`]);
}

export const gatewayRouteConfigName = 'gateway';

export function gatewayListenerName(port: number): string {
  return `gateway_${port}`;
}

/** The RouteConfiguration of a Gateway listener port that is not a `--gateway-port` (those share `gateway`). */
export function gatewayListenerRouteConfigName(port: number): string {
  return `gateway_${port}`;
}

/** A Gateway listener's virtual host for one hostname: unique in any RouteConfiguration. */
export function gatewayVirtualHostName(namespace: string, name: string, listener: string, hostname: string): string {
  return `gateway|${namespace}/${name}|${listener}|${hostname}`;
}

/** Where a Gateway's routes send the share of a backend that does not exist: a cluster that is never defined. */
export function gatewayUnresolvedClusterName(namespace: string, name: string): string {
  return `unresolved||gateway/${namespace}/${name}`;
}

export function sidecarListenerName(port: number): string {
  return `sidecar_${port}`;
}

/** One RouteConfiguration per sidecar listener: the Services on that port. */
export function sidecarRouteConfigName(port: number): string {
  return `sidecar_${port}`;
}
