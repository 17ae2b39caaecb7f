import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { EnvoyProcess } from '../../bin/demo/envoy-process.ts';
import { freePort } from '../../bin/demo/free-port.ts';
import {
  defaultEnvoyAds,
  defaultEnvoyConfigOptions,
  envoyAdsVariants,
  envoyBootstrapYaml,
  envoyConfigOptions,
  grpcBootstrap,
  roleMetadataKey,
  type EnvoyAds,
  type EnvoyBootstrapInput,
} from '../../envoy-config/index.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { envoyValidatesBootstrap } from '../support/envoy-validate.ts';
import { peers } from '../support/peers.ts';
import { waitFor } from '../support/wait.ts';

const envoyInput = { nodeId: 'pod-1', nodeCluster: 'demo', xdsHost: 'kube-xds.kube-xds.svc', xdsPort: 18000 };
const bootstrap = (input: EnvoyBootstrapInput) => parse(envoyBootstrapYaml(input));
const socket = (address: string, port: number) => ({ socket_address: { address, port_value: port } });

test('gRPC bootstrap: locality is always present, cluster and metadata only when given', () => {
  const plain = grpcBootstrap({ serverUri: 'xds:18000', nodeId: 'client' });
  assert.equal(plain.node, { id: 'client', locality: {} });
  const full = grpcBootstrap({ serverUri: 'xds:18000', nodeId: 'client', zone: 'zone-a', nodeCluster: 'web', metadata: { team: 'a' } });
  assert.equal(full.node, { id: 'client', cluster: 'web', locality: { zone: 'zone-a' }, metadata: { team: 'a' } });
  assert.equal(full.xds_servers, [{ server_uri: 'xds:18000', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }]);
});

test('Envoy bootstrap: the role is node metadata under the key the control plane reads', () => {
  for (const role of ['gateway', 'sidecar'] as const) {
    const bootstrap = parse(envoyBootstrapYaml({ role, ...envoyInput }));
    assert.equal(bootstrap.node, { id: 'pod-1', cluster: 'demo', metadata: { [roleMetadataKey]: role } });
    assert.is(roleMetadataKey, 'kube-xds.io/role');
  }
});

test('Envoy bootstrap: LDS and CDS over ADS (state of the world: GRPC) from a static HTTP/2 xds_cluster; a gateway waits for them without a timeout', () => {
  const ads = { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }] };
  // Envoy's default (15 s per type) would make a gateway LIVE, and so ready, with no listeners.
  const waiting = { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
  assert.equal(bootstrap({ role: 'gateway', ...envoyInput, ads: 'sotw' }).dynamic_resources, { ads_config: ads, lds_config: waiting, cds_config: waiting });
  const sidecarSource = { ads: {}, resource_api_version: 'V3' };
  assert.equal(bootstrap({ role: 'sidecar', ...envoyInput, ads: 'sotw' }).dynamic_resources, { ads_config: ads, lds_config: sidecarSource, cds_config: sidecarSource });
  const [cluster] = bootstrap({ role: 'gateway', ...envoyInput }).static_resources.clusters;
  assert.is(cluster.name, 'xds_cluster');
  assert.is(cluster.type, 'STRICT_DNS');
  assert.equal(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, {
    address: 'kube-xds.kube-xds.svc',
    port_value: 18000,
  });
  assert.ok(cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config.http2_protocol_options);
  assert.ok(cluster.upstream_connection_options.tcp_keepalive);
});

test('Envoy bootstrap: delta ADS is api_type DELTA_GRPC on the same xds_cluster, the rest unchanged; the default is defaultEnvoyAds', () => {
  for (const role of ['gateway', 'sidecar'] as const) {
    const sotw = bootstrap({ role, ...envoyInput, ads: 'sotw' });
    const delta = bootstrap({ role, ...envoyInput, ads: 'delta' });
    // DELTA_GRPC, not AGGREGATED_DELTA_GRPC: ads_config names the ADS server, and Envoy opens DeltaAggregatedResources on it.
    assert.equal(delta.dynamic_resources.ads_config, { api_type: 'DELTA_GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }] });
    delta.dynamic_resources.ads_config.api_type = 'GRPC';
    assert.equal(delta, sotw, `${role}: only api_type differs`);
    assert.equal(bootstrap({ role, ...envoyInput }), bootstrap({ role, ...envoyInput, ads: defaultEnvoyAds }), `${role}: no ads is ${defaultEnvoyAds}`);
  }
  assert.equal(envoyAdsVariants, ['delta', 'sotw']);
  assert.throws(() => envoyBootstrapYaml({ role: 'gateway', ...envoyInput, ads: 'incremental' as EnvoyAds }), /ADS must be delta or sotw, got "incremental"/);
});

test('Envoy bootstrap: admin on 127.0.0.1:9901 for both roles, overridable', () => {
  const admin = (input: EnvoyBootstrapInput) => bootstrap(input).admin.address;
  assert.equal(admin({ role: 'sidecar', ...envoyInput }), socket('127.0.0.1', 9901));
  assert.equal(admin({ role: 'gateway', ...envoyInput }), socket('127.0.0.1', 9901));
  assert.equal(admin({ role: 'gateway', ...envoyInput, adminPort: 9902, adminAddress: '0.0.0.0' }), socket('0.0.0.0', 9902));
});

/** The gateway's readiness listener and the admin cluster it forwards to. */
function readiness(input: EnvoyBootstrapInput) {
  const { listeners = [], clusters } = bootstrap(input).static_resources;
  const listener = listeners.find((candidate: { name: string }) => candidate.name === 'readiness');
  const hcm = listener?.filter_chains[0].filters[0].typed_config;
  const routes = hcm?.route_config.virtual_hosts.flatMap((host: { routes: unknown[] }) => host.routes);
  const cluster = clusters.find((candidate: { name: string }) => candidate.name === routes?.[0]?.route.cluster);
  return { listeners, listener, hcm, routes, upstream: cluster?.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address };
}

test('Envoy gateway bootstrap: a readiness listener on 0.0.0.0:15021 serves GET /ready from the admin API over loopback, nothing else', () => {
  const { listeners, listener, hcm, routes, upstream } = readiness({ role: 'gateway', ...envoyInput });
  assert.is(listeners.length, 1, 'the readiness listener is the only static one');
  assert.equal(listener.address, socket('0.0.0.0', 15021));
  assert.is(hcm['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
  assert.equal(hcm.route_config.virtual_hosts[0].domains, ['*']);
  // An exact path, so nothing else of the admin API (/quitquitquit, /config_dump...) is reachable.
  assert.equal(routes, [{ match: { path: '/ready' }, route: { cluster: 'envoy_admin' } }]);
  assert.equal(upstream, socket('127.0.0.1', 9901));
  assert.equal(hcm.http_filters.map((filter: { name: string }) => filter.name), ['envoy.filters.http.router']);
});

test('Envoy gateway bootstrap: the readiness listener moves with its input, and follows the admin to loopback', () => {
  const moved = readiness({ role: 'gateway', ...envoyInput, readyAddress: '::', readyPort: 15020, adminAddress: '0.0.0.0', adminPort: 9902 });
  assert.equal(moved.listener.address, socket('::', 15020));
  assert.equal(moved.upstream, socket('127.0.0.1', 9902), 'an admin on a wildcard is reached on loopback');
  assert.equal(readiness({ role: 'gateway', ...envoyInput, adminAddress: '::' }).upstream, socket('::1', 9901));
  assert.equal(readiness({ role: 'gateway', ...envoyInput, adminAddress: '::1' }).upstream, socket('::1', 9901));
  assert.equal(readiness({ role: 'gateway', ...envoyInput, readyAddress: '127.0.0.1', readyPort: 0 }).listener.address, socket('127.0.0.1', 0), 'any free port');
  assert.throws(() => envoyBootstrapYaml({ role: 'gateway', ...envoyInput, readyPort: 9901 }), /cannot share port 9901/);
  assert.throws(() => envoyBootstrapYaml({ role: 'gateway', ...envoyInput, adminPort: 0 }), /needs a fixed port/);
  assert.not.throws(() => envoyBootstrapYaml({ role: 'sidecar', ...envoyInput, adminPort: 0 }), 'a sidecar admin may take any free port');
});

test('Envoy sidecar bootstrap: no readiness listener, no admin cluster; asking for one is an error', () => {
  const { static_resources } = bootstrap({ role: 'sidecar', ...envoyInput });
  assert.equal(static_resources.listeners, undefined);
  assert.equal(static_resources.clusters.map((cluster: { name: string }) => cluster.name), ['xds_cluster']);
  assert.throws(() => envoyBootstrapYaml({ role: 'sidecar', ...envoyInput, readyPort: 15021 }), /part of a gateway bootstrap/);
  assert.throws(() => envoyBootstrapYaml({ role: 'sidecar', ...envoyInput, readyAddress: '0.0.0.0' }), /part of a gateway bootstrap/);
});

test("Envoy's validator takes both bootstraps on either ADS, the gateway's with its readiness listener moved about too", async () => {
  const inputs: EnvoyBootstrapInput[] = [
    { role: 'gateway', ...envoyInput },
    { role: 'gateway', ...envoyInput, readyAddress: '::', readyPort: 15020, adminAddress: '::1', adminPort: 9902 },
    { role: 'sidecar', ...envoyInput },
    ...envoyAdsVariants.flatMap((ads) => (['gateway', 'sidecar'] as const).map((role) => ({ role, ...envoyInput, ads }))),
  ];
  const verdicts = await Promise.all(inputs.map((input) => envoyValidatesBootstrap(envoyBootstrapYaml(input))));
  assert.equal(verdicts, inputs.map(() => ({ ok: true, message: '' })));
  // The other delta value of the enum is not for ads_config.
  const aggregated = envoyBootstrapYaml({ role: 'gateway', ...envoyInput, ads: 'delta' }).replace('api_type: DELTA_GRPC', 'api_type: AGGREGATED_DELTA_GRPC');
  assert.match((await envoyValidatesBootstrap(aggregated)).message, 'must be of non-aggregated gRPC');
  assert.equal(bootstrap(inputs[0]!).admin.address, socket('127.0.0.1', 9901), 'the default gateway keeps its admin on loopback');
});

test('a real Envoy gateway: its readiness port answers /ready only once kube-xds has configured it, and serves no other admin path', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-ready-'));
  await writeFile(join(dir, 'web.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {ports: [{port: 80, name: http}]}\n');
  const controlPlane = await CliControlPlane.start(['--source', `file:${dir}`, '--gateway-port', String(await freePort('127.0.0.1'))]);
  let envoy: EnvoyProcess | undefined;
  try {
    // Envoy starts while the control plane is down, as after a cluster-wide outage.
    await controlPlane.kill('SIGKILL');
    const [host, port] = controlPlane.xdsAddress.split(':') as [string, string];
    const adminPort = await freePort('127.0.0.1');
    const readyPort = await freePort('127.0.0.1');
    const input = { role: 'gateway', nodeId: 'ready-1', nodeCluster: 'demo', xdsHost: host, xdsPort: Number(port), adminPort, readyAddress: '127.0.0.1', readyPort } as const;
    const bootstrapFile = join(dir, 'envoy.yaml');
    await writeFile(bootstrapFile, envoyBootstrapYaml(input));
    envoy = EnvoyProcess.start({ path: peers().envoy.command[0]!, bootstrapFile, adminPort, logLevel: 'error' });
    const probe = async (path: string) => {
      // As kubelet probes: one GET with a short timeout; no answer is a failure.
      const response = await fetch(`http://127.0.0.1:${readyPort}${path}`, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
      return response && { status: response.status, body: (await response.text()).trim() };
    };
    const stateBefore = await waitFor('Envoy admin to answer', async () => (await envoy!.admin('/ready').catch(() => '')).trim() || undefined);
    assert.ok(['PRE_INITIALIZING', 'INITIALIZING'].includes(stateBefore), `Envoy is still initializing, got ${stateBefore}`);
    const before = await probe('/ready');
    assert.not.ok(before?.status === 200, `the readiness port said ready before any configuration: ${JSON.stringify(before)}`);

    await controlPlane.restart();
    // Envoy redials with backoff (0.5 s doubling), so allow for a few retries.
    const ready = await waitFor(
      'the readiness port to say ready',
      async () => {
        const answer = await probe('/ready');
        return answer?.status === 200 && answer;
      },
      { timeoutMs: 30_000 },
    );
    assert.equal(ready, { status: 200, body: 'LIVE' });
    for (const path of ['/stats', '/config_dump', '/quitquitquit', '/readyz']) {
      assert.is((await probe(path))?.status, 404, `${path} through the readiness port`);
    }
    assert.ok(envoy.running, 'Envoy still runs');
  } finally {
    await envoy?.stop();
    await controlPlane.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('builder options: defaults, overrides (undefined ones ignored), frozen', () => {
  const options = envoyConfigOptions({ gatewayPorts: [80, 443], clusterDomain: undefined });
  assert.equal(options.gatewayPorts, [80, 443]);
  assert.is(options.clusterDomain, 'cluster.local');
  assert.ok(Object.isFrozen(options) && Object.isFrozen(options.gatewayPorts) && Object.isFrozen(defaultEnvoyConfigOptions));
  assert.equal(envoyConfigOptions(), defaultEnvoyConfigOptions);
});

test.run();
