// Checks a whole set of resources as one snapshot sends them: every resource on its own, then
// unique names per type and what must line up between types for traffic to flow (RDS names,
// clusters, ClusterLoadAssignments). Envoy's validator sees a set only through the static
// bootstrap envoy-validate.ts makes of it: there an unknown RDS name or EDS service is no
// error, nor a repeated RouteConfiguration name or an identical listener given twice.
import type protobuf from 'protobufjs';
import { walkWithEnvoyRules } from './check-message.ts';
import { isAdsConfigSource, isEdsCluster } from './envoy-rules.ts';
import { toProtoMessage } from './from-plain.ts';
import { messageType, typeName } from './load-protos.ts';
import { type Problem, type ProtoMessage, fieldPath, indexPath, isProtoMessage, keyPath } from './problem.ts';

/** Each resource is a plain keep-case object (generated code's fromObject() shape) or its encoding. */
export interface ResourceSet {
  readonly listeners?: readonly unknown[];
  readonly routes?: readonly unknown[];
  readonly clusters?: readonly unknown[];
  readonly endpoints?: readonly unknown[];
}

interface Reference {
  readonly name: string;
  readonly path: string;
}

interface References {
  readonly routeConfigurations: Reference[];
  readonly clusters: Reference[];
  readonly edsServices: Reference[];
}

const resourceKinds = [
  { key: 'listeners', type: 'envoy.config.listener.v3.Listener', nameField: 'name' },
  { key: 'routes', type: 'envoy.config.route.v3.RouteConfiguration', nameField: 'name' },
  { key: 'clusters', type: 'envoy.config.cluster.v3.Cluster', nameField: 'name' },
  { key: 'endpoints', type: 'envoy.config.endpoint.v3.ClusterLoadAssignment', nameField: 'cluster_name' },
] as const;

export function checkResourceSet(set: ResourceSet): Problem[] {
  const problems: Problem[] = [];
  const references: References = { routeConfigurations: [], clusters: [], edsServices: [] };
  const names = new Map<string, Set<string>>();
  for (const kind of resourceKinds) {
    const seen = new Set<string>();
    names.set(kind.key, seen);
    (set[kind.key] ?? []).forEach((input, index) => {
      const unnamedPath = indexPath(kind.key, index);
      const message = toProtoMessage(messageType(kind.type), input, unnamedPath, problems);
      if (!message) return;
      const name = typeof message[kind.nameField] === 'string' ? String(message[kind.nameField]) : '';
      const path = name === '' ? unnamedPath : keyPath(kind.key, name);
      if (seen.has(name)) {
        problems.push({ path, rule: 'set.unique_name', message: `two ${kind.key} are named ${JSON.stringify(name)}` });
      }
      seen.add(name);
      const onMessage = (type: protobuf.Type, inner: ProtoMessage, innerPath: string) =>
        collectReferences(typeName(type), inner, innerPath, references);
      walkWithEnvoyRules(kind.type, message, path, { problems, onMessage });
    });
  }
  const { routeConfigurations, clusters, edsServices } = references;
  problems.push(...missing(routeConfigurations, names.get('routes'), 'set.missing_route_configuration', 'RouteConfiguration'));
  problems.push(...missing(clusters, names.get('clusters'), 'set.missing_cluster', 'Cluster'));
  problems.push(...missing(edsServices, names.get('endpoints'), 'set.missing_cluster_load_assignment', 'ClusterLoadAssignment'));
  return problems;
}

function collectReferences(type: string, message: ProtoMessage, path: string, references: References): void {
  const add = (list: Reference[], field: string, value: unknown) => {
    if (typeof value === 'string' && value !== '') list.push({ name: value, path: fieldPath(path, field) });
  };
  switch (type) {
    case 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager':
      if (isProtoMessage(message.rds)) {
        add(references.routeConfigurations, 'rds.route_config_name', message.rds.route_config_name);
      }
      break;
    case 'envoy.config.route.v3.RouteAction':
      add(references.clusters, 'cluster', message.cluster);
      break;
    case 'envoy.config.route.v3.WeightedCluster.ClusterWeight':
      add(references.clusters, 'name', message.name);
      break;
    case 'envoy.config.route.v3.RouteAction.RequestMirrorPolicy':
      add(references.clusters, 'cluster', message.cluster);
      break;
    case 'envoy.config.cluster.v3.Cluster':
      collectEdsService(message, path, references);
      break;
  }
}

/** An EDS cluster without an explicit service_name asks for its own name. */
function collectEdsService(cluster: ProtoMessage, path: string, references: References): void {
  const edsConfig = cluster.eds_cluster_config;
  if (!isEdsCluster(cluster) || !isProtoMessage(edsConfig) || !isAdsConfigSource(edsConfig.eds_config)) return;
  const serviceName = edsConfig.service_name || cluster.name;
  if (typeof serviceName === 'string') references.edsServices.push({ name: serviceName, path });
}

function missing(
  references: readonly Reference[],
  names: ReadonlySet<string> | undefined,
  rule: string,
  what: string,
): Problem[] {
  return references
    .filter((reference) => !names?.has(reference.name))
    .map(({ name, path }) => ({ path, rule, message: `no ${what} named ${JSON.stringify(name)} in the set` }));
}
