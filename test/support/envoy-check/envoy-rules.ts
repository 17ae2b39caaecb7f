// Rules Envoy enforces on single messages beyond protoc-gen-validate (plus our own: config
// sources point at ADS). They run wherever such a message appears, Any contents included.
import { packedTypeName } from './any.ts';
import { messageType } from './load-protos.ts';
import { type Problem, type ProtoMessage, fieldPath, indexPath, isProtoMessage } from './problem.ts';
import { toBigInt } from './scalars.ts';

type MessageRule = (message: ProtoMessage, path: string) => Problem[];

const routerTypeName = 'envoy.extensions.filters.http.router.v3.Router';
const maxDurationSeconds = 315_576_000_000n;

function asMessage(value: unknown): ProtoMessage {
  return isProtoMessage(value) ? value : {};
}

function asMessages(value: unknown): readonly ProtoMessage[] {
  return Array.isArray(value) ? value.map(asMessage) : [];
}

export function isAdsConfigSource(configSource: unknown): boolean {
  return isProtoMessage(asMessage(configSource).ads);
}

/** Envoy lower-cases domains and rejects a RouteConfiguration where one repeats (wildcards included). */
const uniqueDomains: MessageRule = (routeConfiguration, path) => {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  asMessages(routeConfiguration.virtual_hosts).forEach((virtualHost, hostIndex) => {
    const hostPath = indexPath(fieldPath(path, 'virtual_hosts'), hostIndex);
    const domains = Array.isArray(virtualHost.domains) ? virtualHost.domains.map(String) : [];
    domains.forEach((domain, domainIndex) => {
      const key = domain.toLowerCase();
      const domainPath = indexPath(fieldPath(hostPath, 'domains'), domainIndex);
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, domainPath);
        return;
      }
      const what = key === '*' ? 'only one virtual host may have the domain "*"' : `domain ${JSON.stringify(domain)} repeats`;
      problems.push({ path: domainPath, rule: 'envoy.unique_domains', message: `${what} (first at ${first})` });
    });
  });
  return problems;
};

function isRouter(filter: ProtoMessage): boolean {
  return packedTypeName(String(asMessage(filter.typed_config).type_url ?? '')) === routerTypeName;
}

/** The router is a terminal filter: Envoy requires it last, and gRPC C-core NACKs a chain without it. */
const routerLastAndAdsRoutes: MessageRule = (hcm, path) => {
  const problems: Problem[] = [];
  const filtersPath = fieldPath(path, 'http_filters');
  const filters = asMessages(hcm.http_filters);
  const last = filters.at(-1);
  const routerLast = (path: string, message: string) => problems.push({ path, rule: 'envoy.router_last', message });
  if (!last || !isRouter(last)) routerLast(filtersPath, `http_filters must end with the ${routerTypeName} filter`);
  filters.slice(0, -1).forEach((filter, index) => {
    if (isRouter(filter)) routerLast(indexPath(filtersPath, index), 'the router filter must be the last http filter');
  });
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
  if (!isEdsCluster(cluster)) return [];
  const edsPath = fieldPath(path, 'eds_cluster_config');
  if (!isProtoMessage(cluster.eds_cluster_config)) {
    return [{ path: edsPath, rule: 'envoy.eds_cluster_config', message: 'an EDS cluster needs eds_cluster_config' }];
  }
  if (!isAdsConfigSource(cluster.eds_cluster_config.eds_config)) {
    const at = fieldPath(edsPath, 'eds_config');
    return [{ path: at, rule: 'kube-xds.ads_config_source', message: 'endpoints must come over ADS' }];
  }
  return [];
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
  ['envoy.config.route.v3.RouteConfiguration', uniqueDomains],
  ['envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', routerLastAndAdsRoutes],
  ['envoy.config.cluster.v3.Cluster', edsClusterUsesAds],
  ['google.protobuf.Duration', durationInRange],
]);

export function envoyMessageProblems(type: string, message: ProtoMessage, path: string): Problem[] {
  return rulesByType.get(type)?.(message, path) ?? [];
}
