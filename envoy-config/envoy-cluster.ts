// Clusters for Envoy (gateway and sidecar alike). Envoy does not implement wrr_locality, so
// they carry `lb_policy` only.
import { envoy } from '../generated/envoy.js';
import type { ServiceModel } from '../k8s/model.ts';
import { packAny } from './any.ts';
import { durationFromMs } from './duration.ts';
import { edsCluster } from './eds-cluster.ts';
import { clusterLoadAssignment } from './endpoints.ts';
import { clusterName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';
import { routablePorts, speaksHttp2 } from './ports.ts';
import { emptyResourceSet, mergeResourceSets, type ResourceSet } from './resource-set.ts';
import { unresolvedClusterResources } from './unresolved-cluster.ts';

const { HttpProtocolOptions } = envoy.extensions.upstreams.http.v3;
/** The same for every cluster that speaks HTTP/2: packed once. */
const http2ProtocolOptions = Object.freeze(packAny(HttpProtocolOptions, { explicit_http_config: { http2_protocol_options: {} } }));

/** A Service's clusters and endpoints: the same for the gateway and the sidecar. */
export function envoyServiceResources(service: ServiceModel, options: EnvoyConfigOptions): ResourceSet {
  const ports = routablePorts(service);
  return mergeResourceSets([
    {
      ...emptyResourceSet(),
      clusters: ports.map((port) => envoyCluster(clusterName(service, port, options.clusterDomain), speaksHttp2(port), options)),
      endpoints: ports.map((port) => clusterLoadAssignment(service, port, options)),
    },
    // It never has an endpoint, so no protocol to speak.
    unresolvedClusterResources(service, options, (name) => envoyCluster(name, false, options)),
  ]);
}

function envoyCluster(name: string, http2: boolean, options: EnvoyConfigOptions): envoy.config.cluster.v3.ICluster {
  return {
    ...edsCluster(name),
    connect_timeout: durationFromMs(options.connectTimeoutMs),
    common_lb_config: {
      // Terminating pods (DRAINING) must get no new request however many drain at once.
      // Envoy 1.40 leaves DRAINING hosts out of the panic computation; older Envoys count
      // them as unhealthy, and below 50% healthy their panic mode sends to every host. Here
      // nothing else marks a host unhealthy, and with no ready pod left the assignment
      // already offers the terminating ones that still serve, so panic mode is off.
      healthy_panic_threshold: { value: 0 },
      update_merge_window: durationFromMs(options.updateMergeWindowMs),
    },
    ...(http2 && {
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': http2ProtocolOptions,
      },
    }),
  };
}
