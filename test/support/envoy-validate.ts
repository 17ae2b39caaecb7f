// Envoy's own validator: the pinned Envoy (test/peers/) run as `envoy --mode validate` on a
// bootstrap file. Resources go in as static resources of a binary Bootstrap (`.pb`), shaped so
// that Envoy validates all of them: RouteConfigurations inlined where an HCM names them over
// RDS, ClusterLoadAssignments as the load_assignment of a STATIC cluster each.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientClass } from '../../envoy-config/index.ts';
import { envoy, type google } from '../../generated/envoy.js';
import { peers } from './peers.ts';

export interface EnvoyVerdict {
  readonly ok: boolean;
  /** Why Envoy refused the configuration (its critical line, without the file name); '' when ok. */
  readonly message: string;
}

/** Resources as the builders make them, or encoded (an ADS conversation's bytes). */
export interface ResourcesToValidate {
  readonly listeners: readonly (envoy.config.listener.v3.IListener | Uint8Array)[];
  readonly routes: readonly (envoy.config.route.v3.IRouteConfiguration | Uint8Array)[];
  readonly clusters: readonly (envoy.config.cluster.v3.ICluster | Uint8Array)[];
  readonly endpoints: readonly (envoy.config.endpoint.v3.IClusterLoadAssignment | Uint8Array)[];
}

const { Listener } = envoy.config.listener.v3;
const { RouteConfiguration } = envoy.config.route.v3;
const { Cluster } = envoy.config.cluster.v3;
const { ClusterLoadAssignment } = envoy.config.endpoint.v3;
const HttpConnectionManager = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
const hcmTypeUrl = HttpConnectionManager.getTypeUrl();
const adsCluster = 'kube-xds-validate-ads';
/** Listeners this file adds get ports on an address no builder uses. */
const addedListenerAddress = '127.0.0.253';

interface Codec<Plain, Decoded> {
  encode(message: Plain): { finish(): Uint8Array };
  decode(bytes: Uint8Array): Decoded;
}

/** A decoded copy, free to change. */
function decoded<Plain, Decoded>(type: Codec<Plain, Decoded>, input: Plain | Uint8Array): Decoded {
  return type.decode(input instanceof Uint8Array ? input : type.encode(input).finish());
}

/**
 * Validates one client class's resources. For `proxyless`, two things this Envoy cannot take
 * are adapted: API listeners (the server build lacks that extension) are validated as the
 * HCM of an ordinary listener, and clusters lose `load_balancing_policy` — its
 * wrr_locality{round_robin} is for gRPC clients (Envoy's wrr_locality takes only
 * client_side_weighted_round_robin); the real-client tests prove that field instead.
 */
export async function envoyValidatesResources(set: ResourcesToValidate, clientClass: ClientClass): Promise<EnvoyVerdict> {
  const routes = new Map(set.routes.map((input) => decoded(RouteConfiguration, input)).map((route) => [route.name, route]));
  const inlined = new Set<string>();
  let nextPort = 10_000;
  const addedListener = (name: string, hcm: google.protobuf.IAny): envoy.config.listener.v3.IListener => ({
    name,
    address: { socket_address: { address: addedListenerAddress, port_value: nextPort++ } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }],
  });
  /** The HCM packed in `any`, its RDS name replaced by the RouteConfiguration named (if in the set). */
  const withInlineRoutes = (any: google.protobuf.IAny): google.protobuf.IAny => {
    if (any.type_url !== hcmTypeUrl) return any;
    const hcm = HttpConnectionManager.decode(any.value ?? new Uint8Array());
    const route = hcm.rds ? routes.get(hcm.rds.route_config_name ?? '') : undefined;
    if (!route) return any;
    inlined.add(route.name ?? '');
    hcm.rds = null;
    hcm.route_config = route;
    return { type_url: hcmTypeUrl, value: HttpConnectionManager.encode(hcm).finish() };
  };

  const listeners = set.listeners.map((input) => {
    const listener = decoded(Listener, input);
    const apiListener = listener.api_listener?.api_listener;
    if (clientClass === 'proxyless' && apiListener) return addedListener(listener.name ?? '', withInlineRoutes(apiListener));
    for (const chain of listener.filter_chains ?? []) {
      for (const filter of chain.filters ?? []) if (filter.typed_config) filter.typed_config = withInlineRoutes(filter.typed_config);
    }
    return listener;
  });
  // A RouteConfiguration no listener names is validated all the same, in a listener of its own.
  for (const [name, route] of routes) {
    if (inlined.has(name)) continue;
    const hcm = { stat_prefix: 'validate', route_config: route, http_filters: [routerFilter()] };
    listeners.push(addedListener(`unreferenced route ${name}`, { type_url: hcmTypeUrl, value: HttpConnectionManager.encode(hcm).finish() }));
  }

  const clusters = set.clusters.map((input) => {
    const cluster = decoded(Cluster, input);
    if (clientClass === 'proxyless') cluster.load_balancing_policy = null;
    return cluster;
  });
  const assignmentClusters = set.endpoints.map((input) => {
    const assignment = decoded(ClusterLoadAssignment, input);
    return { name: `assignment ${assignment.cluster_name}`, type: Cluster.DiscoveryType.STATIC, load_assignment: assignment };
  });

  const bootstrap = envoy.config.bootstrap.v3.Bootstrap.encode({
    node: { id: 'kube-xds-validate', cluster: 'kube-xds-validate' },
    // EDS clusters and RDS over ADS need an ADS server to name; it is never dialed.
    dynamic_resources: {
      ads_config: {
        api_type: envoy.config.core.v3.ApiConfigSource.ApiType.GRPC,
        transport_api_version: envoy.config.core.v3.ApiVersion.V3,
        grpc_services: [{ envoy_grpc: { cluster_name: adsCluster } }],
      },
    },
    static_resources: {
      listeners,
      clusters: [...clusters, ...assignmentClusters, adsClusterConfig()],
    },
  }).finish();
  return runValidate('bootstrap.pb', bootstrap);
}

/** Validates a bootstrap file's text (YAML or JSON). */
export function envoyValidatesBootstrap(yaml: string): Promise<EnvoyVerdict> {
  return runValidate('bootstrap.yaml', yaml);
}

function routerFilter(): envoy.extensions.filters.network.http_connection_manager.v3.IHttpFilter {
  const Router = envoy.extensions.filters.http.router.v3.Router;
  return { name: 'envoy.filters.http.router', typed_config: { type_url: Router.getTypeUrl(), value: new Uint8Array() } };
}

function adsClusterConfig(): envoy.config.cluster.v3.ICluster {
  const address = { socket_address: { address: '127.0.0.1', port_value: 1 } };
  return {
    name: adsCluster,
    type: Cluster.DiscoveryType.STATIC,
    load_assignment: { cluster_name: adsCluster, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] },
  };
}

async function runValidate(fileName: string, contents: string | Uint8Array): Promise<EnvoyVerdict> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-envoy-validate-'));
  try {
    const file = join(dir, fileName);
    await writeFile(file, contents);
    const [command, ...args] = peers().envoy.command;
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const options = { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 };
      const argv = [...args, '--mode', 'validate', '-c', file, '-l', 'error', '--log-format', '%v'];
      execFile(command!, argv, options, (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }));
    });
    if (code === 0) return { ok: true, message: '' };
    const prefix = `error initializing configuration '${file}': `;
    const at = stderr.indexOf(prefix);
    if (at < 0) return { ok: false, message: `envoy exited with ${code}: ${stderr.trim()}` };
    return { ok: false, message: oneLine(stderr.slice(at + prefix.length)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * One line: a PGV failure without the text dump of the whole bootstrap that precedes it, and
 * without the goo.gle/debug… markers and random spacing protobuf puts into its debug strings.
 */
function oneLine(message: string): string {
  const pgv = message.indexOf('Proto constraint validation failed');
  return (pgv < 0 ? message : message.slice(pgv)).replace(/goo\.gle\/debug\w*/g, '').replace(/\s+/g, ' ').trim();
}
