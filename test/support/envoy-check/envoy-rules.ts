// Rules beyond protoc-gen-validate that Envoy's own validator (test/support/envoy-validate.ts)
// does not apply, or applies without saying where: gRPC clients' router rule, ours (config
// sources point at ADS), and duration ranges with a field path. They run wherever such a
// message appears, Any contents included.
import { packedTypeName } from './any.ts';
import { messageType } from './load-protos.ts';
import { type Problem, type ProtoMessage, fieldPath, isProtoMessage } from './problem.ts';
import { toBigInt } from './scalars.ts';

type MessageRule = (message: ProtoMessage, path: string) => Problem[];

const routerTypeName = 'envoy.extensions.filters.http.router.v3.Router';
const maxDurationSeconds = 315_576_000_000n;

function asMessage(value: unknown): ProtoMessage {
  return isProtoMessage(value) ? value : {};
}

export function isAdsConfigSource(configSource: unknown): boolean {
  return isProtoMessage(asMessage(configSource).ads);
}

/**
 * gRPC clients NACK a filter chain that does not end with the router, an empty one included
 * (Envoy adds the router to an empty chain itself, and reports a misplaced one on its own).
 */
const routerLastAndAdsRoutes: MessageRule = (hcm, path) => {
  const problems: Problem[] = [];
  const filters = Array.isArray(hcm.http_filters) ? hcm.http_filters.map(asMessage) : [];
  const last = filters.at(-1);
  if (!last || packedTypeName(String(asMessage(last.typed_config).type_url ?? '')) !== routerTypeName) {
    const message = `http_filters must end with the ${routerTypeName} filter`;
    problems.push({ path: fieldPath(path, 'http_filters'), rule: 'grpc.router_last', message });
  }
  if (isProtoMessage(hcm.rds) && !isAdsConfigSource(hcm.rds.config_source)) {
    const at = fieldPath(fieldPath(path, 'rds'), 'config_source');
    problems.push({ path: at, rule: 'kube-xds.ads_config_source', message: 'route configurations must come over ADS' });
  }
  return problems;
};

export function isEdsCluster(cluster: ProtoMessage): boolean {
  return cluster.type === messageType('envoy.config.cluster.v3.Cluster').lookupEnum('DiscoveryType').values.EDS;
}

const edsClusterUsesAds: MessageRule = (cluster, path) => {
  if (!isEdsCluster(cluster) || isAdsConfigSource(asMessage(cluster.eds_cluster_config).eds_config)) return [];
  const at = fieldPath(fieldPath(path, 'eds_cluster_config'), 'eds_config');
  return [{ path: at, rule: 'kube-xds.ads_config_source', message: 'endpoints must come over ADS' }];
};

/** Envoy rejects negative and out-of-range durations anywhere in a config, rules or not. */
const durationInRange: MessageRule = (duration, path) => {
  const seconds = toBigInt(duration.seconds ?? 0) ?? 0n;
  const nanos = typeof duration.nanos === 'number' ? duration.nanos : 0;
  if (seconds < 0n || nanos < 0) {
    return [{ path, rule: 'envoy.duration_range', message: 'durations must not be negative' }];
  }
  if (seconds > maxDurationSeconds || nanos > 999_999_999) {
    return [{ path, rule: 'envoy.duration_range', message: 'duration out of range' }];
  }
  return [];
};

const rulesByType: ReadonlyMap<string, MessageRule> = new Map([
  ['envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', routerLastAndAdsRoutes],
  ['envoy.config.cluster.v3.Cluster', edsClusterUsesAds],
  ['google.protobuf.Duration', durationInRange],
]);

export function envoyMessageProblems(type: string, message: ProtoMessage, path: string): Problem[] {
  return rulesByType.get(type)?.(message, path) ?? [];
}
