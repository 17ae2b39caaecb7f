// RouteConfigurations for Envoy (gateway and sidecar): a virtual host per Service port,
// matched by `:authority`, routing to that port's cluster. A virtual host depends on its
// Service alone but for its domains, which depend on the other hosts of its RouteConfiguration.
import type { envoy } from '../generated/envoy.js';
import type { ServiceModel } from '../k8s/model.ts';
import { byKey } from '../common/compare.ts';
import { durationFromMs } from './duration.ts';
import { defaultEnvoyRetry, meshRoutes } from './mesh-routes.ts';
import { clusterName, envoyDomainCandidates } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { routablePorts, speaksGrpc, type ServicePort } from './ports.ts';

type RouteConfiguration = envoy.config.route.v3.IRouteConfiguration;
type VirtualHost = envoy.config.route.v3.IVirtualHost;

/** A Service port's virtual host before its domains are settled: the same in every RouteConfiguration. */
export interface VirtualHostShare {
  /** The Service port's number (a sidecar has a RouteConfiguration per port number). */
  readonly port: number;
  /** The virtual host without `domains`. */
  readonly host: VirtualHost & { readonly name: string };
  /** The domains it may get: those no other host of its RouteConfiguration also claims. */
  readonly candidates: readonly string[];
  /**
   * A Gateway listener's host (envoy-config/gateway-routes.ts): `port` is then the listener's
   * port, and its domains win over a Service's host claiming the same one.
   */
  readonly gatewayListener?: true;
}

/** A Service's virtual hosts, one per routable port. */
export function envoyVirtualHosts(service: ServiceModel, options: EnvoyConfigOptions): VirtualHostShare[] {
  return routablePorts(service).map((port) => virtualHostShare({ service, port }, options));
}

/** How many times each domain is claimed by these candidate lists. */
export function domainClaims(candidateLists: Iterable<readonly string[]>): Map<string, number> {
  const claims = new Map<string, number>();
  for (const candidates of candidateLists) for (const domain of candidates) claims.set(domain, (claims.get(domain) ?? 0) + 1);
  return claims;
}

// Envoy rejects the whole RouteConfiguration if two virtual hosts share a domain: a short
// form claimed twice (one name in two namespaces, the bare form of a multi-port Service)
// goes to neither. The `FQDN:P` form is unique, so no host ends up without a domain.
/** The host with the domains of its candidates that are claimed once in its RouteConfiguration. */
export function withSettledDomains(share: VirtualHostShare, isClaimedOnce: (domain: string) => boolean): VirtualHost {
  const { name, ...rest } = share.host;
  return { name, domains: share.candidates.filter(isClaimedOnce), ...rest };
}

/**
 * A RouteConfiguration whose virtual hosts are `shares`, sorted by name. A domain claimed
 * twice goes to the one Gateway listener's host claiming it, if just one does: a Gateway's
 * hostname is what its owner asked for, a Service's short names only a convenience. Claimed
 * by two Gateways' hosts, it goes to neither, like a short name of two Services.
 */
export function envoyRouteConfiguration(name: string, shares: readonly VirtualHostShare[]): RouteConfiguration {
  const claims = domainClaims(shares.map((share) => share.candidates));
  const gatewayClaims = domainClaims(shares.filter((share) => share.gatewayListener).map((share) => share.candidates));
  const virtualHosts = shares
    .map((share) => withSettledDomains(share, (domain) => claims.get(domain) === 1 || (share.gatewayListener === true && gatewayClaims.get(domain) === 1)))
    // Only a Gateway's host can lose every domain (two Gateways on one hostname and port): it is left out.
    .filter((host) => host.domains!.length > 0);
  return { name, virtual_hosts: virtualHosts.sort(byKey((host) => host.name ?? '')) };
}

function virtualHostShare({ service, port }: ServicePort, options: EnvoyConfigOptions): VirtualHostShare {
  const cluster = clusterName(service, port, options.clusterDomain);
  const retry = speaksGrpc(port) ? defaultEnvoyRetry(options) : undefined;
  return {
    port: port.port,
    candidates: envoyDomainCandidates(service, port, options.clusterDomain),
    host: {
      name: cluster,
      routes: [
        // The Service's Gateway API routes first, in their order (envoy-config/mesh-routes.ts).
        ...meshRoutes(service, port, 'envoy', options),
        {
          match: { prefix: '' },
          route: {
            cluster,
            // Envoy's default 15 s route timeout would cut streaming calls.
            timeout: durationFromMs(0),
            // A zero header max lets a client's grpc-timeout apply unchanged.
            max_stream_duration: { max_stream_duration: durationFromMs(options.maxStreamDurationMs), grpc_timeout_header_max: durationFromMs(0) },
            ...(retry && { retry_policy: retry }),
          },
        },
      ],
    },
  };
}
