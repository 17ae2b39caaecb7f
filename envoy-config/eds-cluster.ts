import { envoy } from '../generated/envoy.js';
import { adsConfigSource } from './config-source.ts';

/**
 * What every class's cluster shares: EDS over ADS, `service_name` set (the control plane
 * reads it to resend the ClusterLoadAssignment after CDS), round robin for clients that
 * read only `lb_policy`.
 */
export function edsCluster(name: string): envoy.config.cluster.v3.ICluster {
  return {
    name,
    type: envoy.config.cluster.v3.Cluster.DiscoveryType.EDS,
    eds_cluster_config: { eds_config: adsConfigSource(), service_name: name },
    lb_policy: envoy.config.cluster.v3.Cluster.LbPolicy.ROUND_ROBIN,
  };
}
