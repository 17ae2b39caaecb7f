// RouteConfigurations for Envoy (gateway and sidecar): a virtual host per Service port,
// matched by `:authority`, routing to that port's cluster.
import type { envoy } from '../generated/envoy.js';
import { byKey } from '../common/compare.ts';
import { durationFromMs } from './duration.ts';
import { clusterName, envoyDomainCandidates } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { speaksGrpc, type ServicePort } from './ports.ts';

type RouteConfiguration = envoy.config.route.v3.IRouteConfiguration;
type VirtualHost = envoy.config.route.v3.IVirtualHost;

export function envoyRouteConfiguration(name: string, servicePorts: readonly ServicePort[], options: EnvoyConfigOptions): RouteConfiguration {
  const candidates = servicePorts.map(({ service, port }) => envoyDomainCandidates(service, port, options.clusterDomain));
  const claims = new Map<string, number>();
  for (const domain of candidates.flat()) claims.set(domain, (claims.get(domain) ?? 0) + 1);
  // Envoy rejects the whole RouteConfiguration if two virtual hosts share a domain: a short
  // form claimed twice (one name in two namespaces, the bare form of a multi-port Service)
  // goes to neither. The `FQDN:P` form is unique, so no host ends up without a domain.
  const virtualHosts = servicePorts.map((servicePort, index) =>
    virtualHost(servicePort, candidates[index]!.filter((domain) => claims.get(domain) === 1), options),
  );
  return { name, virtual_hosts: virtualHosts.sort(byKey((host) => host.name ?? '')) };
}

function virtualHost({ service, port }: ServicePort, domains: string[], options: EnvoyConfigOptions): VirtualHost {
  const cluster = clusterName(service, port, options.clusterDomain);
  return {
    name: cluster,
    domains,
    routes: [
      {
        match: { prefix: '' },
        route: {
          cluster,
          // Envoy's default 15 s route timeout would cut streaming calls.
          timeout: durationFromMs(0),
          // A zero header max lets a client's grpc-timeout apply unchanged.
          max_stream_duration: { max_stream_duration: durationFromMs(options.maxStreamDurationMs), grpc_timeout_header_max: durationFromMs(0) },
          ...(speaksGrpc(port) && options.grpcNumRetries > 0 && {
            retry_policy: { retry_on: options.grpcRetryOn, num_retries: { value: options.grpcNumRetries } },
          }),
        },
      },
    ],
  };
}
