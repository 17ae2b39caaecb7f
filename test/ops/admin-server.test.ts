// The admin HTTP server of a real `kube-xds serve` process on a folder of manifests, read while
// real ADS clients are connected: the admin address serves the status page and the /debug/
// views, the probe address only what kubelet and Prometheus need.
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags } from '../../bin/flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../../bin/serve.ts';
import type { StreamStatus } from '../../control-plane/stream-status.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import { AdminServer } from '../../ops/admin-server.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { MemorySource } from '../support/memory-source.ts';
import { envoyNode, RawAdsClient } from '../support/raw-ads-client.ts';
import { RawDeltaClient } from '../support/raw-delta-client.ts';
import { waitFor } from '../support/wait.ts';
import { endpoint, service, slice } from '../k8s/fixtures.ts';
import { yaml } from '../k8s/folder-harness.ts';

type Json = { [key: string]: any };

interface Got {
  readonly status: number;
  readonly type: string | null;
  readonly headers: Headers;
  readonly body: string;
}

async function get(base: string, path: string, init: RequestInit = {}): Promise<Got> {
  const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(5_000), ...init });
  return { status: response.status, type: response.headers.get('content-type'), headers: response.headers, body: await response.text() };
}

async function getJson(base: string, path: string): Promise<{ status: number; json: any }> {
  const got = await get(base, path);
  assert.is(got.type, 'application/json', `${path} answers JSON`);
  return { status: got.status, json: JSON.parse(got.body) };
}

/** What the server answers a request written byte for byte, up to the end of the status line. */
function rawStatusLine(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(received.split('\r\n')[0] ?? ''));
  });
}

const manifests = yaml(
  service('web', { namespace: 'shop' }),
  slice('web-1', { namespace: 'shop', service: 'web', endpoints: [endpoint('10.0.0.1')] }),
  service('api', { namespace: 'default' }),
  service('zeta', { namespace: 'a-ns' }),
);

let dir: string;
let controlPlane: CliControlPlane;
const clients: { close(): void }[] = [];
/** The clusters the sotw gateway received, in response order, and the EDS name of each. */
let received: { clusters: string[]; endpoints: string[] };

/** Subscribes a gateway to every cluster, listener and their endpoints, and ACKs each response. */
async function sotwGateway(nodeId: string): Promise<{ clusters: string[]; endpoints: string[] }> {
  const client = new RawAdsClient(controlPlane.xdsAddress, envoyNode(nodeId, 'gateway'));
  clients.push(client);
  client.request(TypeUrl.Cluster, []);
  const cds = await client.nextOf(TypeUrl.Cluster);
  client.request(TypeUrl.Cluster, []);
  const endpoints = cds.resources.map((any) => {
    const cluster = envoy.config.cluster.v3.Cluster.decode(any.value!);
    return cluster.eds_cluster_config?.service_name || cluster.name;
  });
  client.request(TypeUrl.Endpoint, endpoints);
  await client.nextOf(TypeUrl.Endpoint);
  client.request(TypeUrl.Endpoint, endpoints);
  client.request(TypeUrl.Listener, []);
  await client.nextOf(TypeUrl.Listener);
  client.request(TypeUrl.Listener, []);
  return { clusters: cds.names, endpoints };
}

async function streamOf(nodeId: string, synced: TypeUrl[]): Promise<StreamStatus> {
  return waitFor(`${nodeId} to be SYNCED on ${synced.length} types`, async () => {
    const stream = (await controlPlane.streams()).find((candidate) => candidate.nodeId === nodeId);
    return synced.every((type) => stream?.types.find((status) => status.type === type)?.sync === 'SYNCED') && stream;
  });
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-xds-admin-'));
  await writeFile(join(dir, 'services.yaml'), manifests);
  controlPlane = await CliControlPlane.start(['--source', `file:${dir}`]);
  received = await sotwGateway('gw-1');
  await streamOf('gw-1', [TypeUrl.Cluster, TypeUrl.Endpoint, TypeUrl.Listener]);
});

test.after(async () => {
  for (const client of clients) client.close();
  await controlPlane?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('the probe address serves /healthz, /readyz and /metrics, and sends everything else to the admin address', async () => {
  const probe = controlPlane.probeUrl;
  assert.equal(await get(probe, '/healthz').then(({ status, body }) => ({ status, body })), { status: 200, body: 'ok\n' });
  assert.is((await get(probe, '/readyz')).status, 200);
  const metrics = await get(probe, '/metrics');
  assert.is(metrics.status, 200);
  assert.match(metrics.type ?? '', /^text\/plain/);
  assert.match(metrics.body, /^kube_xds_services 3$/m);
  for (const path of ['/', '/debug/clients', '/debug/config?node=gw-1', '/debug/model', '/debug/routes', '/debug/activity', '/debug/streams', '/nope']) {
    const refused = await get(probe, path);
    assert.is(refused.status, 404, path);
    assert.match(refused.body, '/debug/ views are on the admin address (--admin-address', path);
    assert.not.match(refused.body, 'gw-1', `${path} shows nothing of the clients`);
  }
});

test('the admin address serves the probes and metrics too, and lists its paths for an unknown one', async () => {
  const admin = controlPlane.adminUrl;
  assert.is((await get(admin, '/healthz')).body, 'ok\n');
  assert.is((await get(admin, '/readyz')).status, 200);
  assert.match((await get(admin, '/metrics')).body, /^kube_xds_ready 1$/m);
  const unknown = await get(admin, '/debug/streams');
  assert.is(unknown.status, 404);
  for (const path of ['/debug/clients', '/debug/config?node=ID', '/debug/model', '/debug/routes', '/debug/activity', '/healthz', '/readyz', '/metrics']) {
    assert.match(unknown.body, path);
  }
});

test('/ is the status page, as ops/status-page.html has it', async () => {
  const page = await get(controlPlane.adminUrl, '/');
  assert.is(page.status, 200);
  assert.is(page.type, 'text/html; charset=utf-8');
  assert.is(page.body, await readFile(new URL('../../ops/status-page.html', import.meta.url), 'utf8'));
});

test('/debug/model: readiness, the source status and every Service, sorted by namespace and name', async () => {
  const { status, json } = await getJson(controlPlane.adminUrl, '/debug/model');
  assert.is(status, 200);
  assert.is(json.ready, true);
  assert.is(json.source.synced, true);
  assert.is(json.source.badObjects, 0);
  assert.equal(json.services.map((model: Json) => `${model.namespace}/${model.name}`), ['a-ns/zeta', 'default/api', 'shop/web']);
  const web = json.services[2];
  assert.equal(web.ports.map((port: Json) => [port.name, port.port, port.endpoints.map((e: Json) => e.address)]), [['grpc', 50051, ['10.0.0.1']]]);
});

test('/debug/clients: every connected stream with its sync state per type', async () => {
  const { status, json } = await getJson(controlPlane.adminUrl, '/debug/clients');
  assert.is(status, 200);
  const gateway = (json as StreamStatus[]).find((stream) => stream.nodeId === 'gw-1');
  assert.ok(gateway, JSON.stringify(json));
  assert.is(gateway.protocol, 'sotw');
  assert.is(gateway.nodeClass, 'gateway');
  assert.equal(gateway.types.map((type) => [type.type, type.sync]).sort(), [
    [TypeUrl.Cluster, 'SYNCED'], [TypeUrl.Endpoint, 'SYNCED'], [TypeUrl.Listener, 'SYNCED'],
  ].sort());
  assert.ok(!Number.isNaN(Date.parse(gateway.connectedAt as unknown as string)), 'connectedAt is an ISO date');
});

test('/debug/config?node=ID: each resource the node holds, decoded to JSON with every Any unpacked', async () => {
  const { status, json } = await getJson(controlPlane.adminUrl, '/debug/config?node=gw-1');
  assert.is(status, 200);
  assert.is(json.nodeId, 'gw-1');
  assert.is(json.streams.length, 1);
  const [stream] = json.streams;
  assert.is(stream.class, 'gateway');
  assert.is(stream.protocol, 'sotw');
  const byType = new Map<string, Json>(stream.types.map((type: Json) => [type.type, type]));
  const clusters = byType.get(TypeUrl.Cluster)!;
  assert.is(clusters.sync, 'SYNCED');
  assert.equal(clusters.resources.map((resource: Json) => resource.name), [...received.clusters].sort());

  // The web Service's cluster and its ClusterLoadAssignment, with the endpoint from the manifest.
  const webIndex = received.clusters.findIndex((name) => name.includes('web.shop'));
  assert.ok(webIndex >= 0, `a cluster for shop/web among ${received.clusters}`);
  const cluster = clusters.resources.find((resource: Json) => resource.name === received.clusters[webIndex])!;
  assert.is(cluster.config['@type'], TypeUrl.Cluster);
  assert.is(cluster.config.name, cluster.name);
  assert.is(cluster.config.type, 'EDS', 'enums by name');
  assert.ok(cluster.version, 'a version');
  const assignment = byType.get(TypeUrl.Endpoint)!.resources.find((resource: Json) => resource.name === received.endpoints[webIndex]);
  assert.ok(assignment, `the ClusterLoadAssignment ${received.endpoints[webIndex]}`);
  assert.is(assignment.config['@type'], TypeUrl.Endpoint);
  assert.is(assignment.config.cluster_name, received.endpoints[webIndex]);
  const endpoints = assignment.config.endpoints.flatMap((locality: Json) => locality.lb_endpoints.map((lb: Json) => lb.endpoint.address.socket_address));
  assert.equal(endpoints, [{ address: '10.0.0.1', port_value: 50051 }]);

  // A listener's filters are Anys in the wire format; here they are their messages.
  const listener = byType.get(TypeUrl.Listener)!.resources[0];
  assert.is(listener.config['@type'], TypeUrl.Listener);
  const anys: Json[] = [];
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') {
      if ('@type' in value && value !== listener.config) anys.push(value as Json);
      Object.values(value).forEach(collect);
    }
  };
  collect(listener.config);
  assert.ok(anys.length > 0, 'the listener has typed configs');
  for (const any of anys) {
    assert.not.ok('type_url' in any || 'value' in any && typeof any.value === 'string', `${any['@type']} unpacked`);
    assert.ok(Object.keys(any).length > 1 || any['@type'].endsWith('.Router'), `${any['@type']} has its fields`);
  }
});

test('/debug/config: a delta client shows the versions it was sent, and after reconnecting, versions only', async () => {
  const first = new RawDeltaClient(controlPlane.xdsAddress, envoyNode('delta-1', 'gateway'));
  clients.push(first);
  first.request(TypeUrl.Cluster, { subscribe: ['*'] });
  first.ack(await first.nextOf(TypeUrl.Cluster));
  const sent = first.held(TypeUrl.Cluster);
  const shown = async (nodeId: string) => {
    const { json } = await getJson(controlPlane.adminUrl, `/debug/config?node=${nodeId}`);
    return (json.streams?.[0]?.types ?? []).find((type: Json) => type.type === TypeUrl.Cluster)?.resources as Json[] | undefined;
  };
  const firstShown = await waitFor('delta-1 in /debug/config', async () => (await shown('delta-1'))?.length === sent.size && shown('delta-1'));
  assert.equal(new Map(firstShown.map((resource) => [resource.name, resource.version])), sent);
  for (const resource of firstShown) assert.is(resource.config.name, resource.name);

  // Reconnected with the versions it holds: nothing is sent again, and only versions are known.
  const again = new RawDeltaClient(controlPlane.xdsAddress, envoyNode('delta-2', 'gateway'));
  clients.push(again);
  again.request(TypeUrl.Cluster, { subscribe: ['*'], initialVersions: sent });
  const againShown = await waitFor('delta-2 in /debug/config', async () => (await shown('delta-2'))?.length === sent.size && shown('delta-2'));
  assert.equal(againShown.map((resource) => [resource.name, resource.version, resource.config]), [...sent].map(([name, version]) => [name, version, null]));
  const answer = await again.nextOf(TypeUrl.Cluster);
  assert.equal(answer.resources, [], 'the first answer to a wildcard carries nothing the client holds');
});

test('/debug/config: 404 for a node not connected, 400 for a missing, empty or repeated node', async () => {
  const admin = controlPlane.adminUrl;
  const unknown = await getJson(admin, '/debug/config?node=nobody');
  assert.is(unknown.status, 404);
  assert.match(unknown.json.error, 'no connected client has node id "nobody"');
  for (const [path, message] of [
    ['/debug/config', 'give the node id'],
    ['/debug/config?node=', 'give the node id'],
    ['/debug/config?node=gw-1&node=gw-2', 'give node once'],
    ['/debug/config?nod=gw-1', 'unknown query parameter "nod"'],
  ] as const) {
    const bad = await getJson(admin, path);
    assert.is(bad.status, 400, path);
    assert.match(bad.json.error, message, path);
  }
  const encoded = await getJson(admin, `/debug/config?node=${encodeURIComponent('gw-1')}&%zz`);
  assert.is(encoded.status, 400, 'a stray malformed parameter is refused, not a crash');
  assert.is((await getJson(admin, '/debug/config?node=%67w-1')).status, 200, 'the node id is percent-decoded');
});

test('/debug/activity: a NACK shows with the node, the type and the message', async () => {
  const client = new RawAdsClient(controlPlane.xdsAddress, envoyNode('nacker', 'gateway'));
  clients.push(client);
  client.request(TypeUrl.Cluster, []);
  const cds = await client.nextOf(TypeUrl.Cluster);
  client.request(TypeUrl.Cluster, [], { version: '', nonce: cds.nonce, error: 'cluster rejected by the test' });
  const activity = await waitFor('the NACK in /debug/activity', async () => {
    const { json } = await getJson(controlPlane.adminUrl, '/debug/activity');
    return json.nacks?.length > 0 && json;
  });
  assert.ok(Array.isArray(activity.pushes) && Array.isArray(activity.unresolved));
  const [nack] = activity.nacks;
  assert.is(nack.nodeId, 'nacker');
  assert.is(nack.type, 'CDS');
  assert.is(nack.message, 'cluster rejected by the test');
  assert.ok(!Number.isNaN(Date.parse(nack.at)));
});

test('only GET and HEAD: other methods get 405 naming the allowed ones, on both addresses', async () => {
  for (const base of [controlPlane.adminUrl, controlPlane.probeUrl]) {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const refused = await get(base, '/healthz', { method, body: method === 'DELETE' ? undefined : 'x' });
      assert.is(refused.status, 405, `${method} ${base}`);
      assert.is(refused.headers.get('allow'), 'GET, HEAD');
      assert.match(refused.body, `method ${method} not allowed`);
    }
  }
  const head = await get(controlPlane.adminUrl, '/debug/clients', { method: 'HEAD' });
  assert.is(head.status, 200);
  assert.is(head.type, 'application/json');
  assert.is(head.body, '');
  assert.ok(Number(head.headers.get('content-length')) > 2, 'HEAD says how long the body would be');
});

test('bad requests get a clear status, and the server keeps answering', async () => {
  for (const base of [controlPlane.adminUrl, controlPlane.probeUrl]) {
    const long = await get(base, `/healthz?${'a'.repeat(8_000)}`);
    assert.is(long.status, 414);
    assert.match(long.body, 'request target too long');
    assert.is((await get(base, `/healthz?${'a'.repeat(64_000)}`)).status, 431, 'past the header limit, Node answers itself');
    assert.is(await rawStatusLine(base, 'GET http://elsewhere/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 'HTTP/1.1 400 Bad Request');
    assert.is(await rawStatusLine(base, 'NOT HTTP AT ALL\r\n\r\n'), 'HTTP/1.1 400 Bad Request');
    assert.is((await get(base, '/healthz')).status, 200);
  }
});

test('a status page that cannot be read answers 500 naming the file; the JSON views still answer', async () => {
  const config = serveConfig(parseFlags(serveFlags, ['--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0'], {}));
  const parts = new ControlPlane(config, new MemorySource());
  const admin = new AdminServer(parts, { pageFile: join(dir, 'no-such-page.html') });
  const port = await admin.listen('admin', '127.0.0.1', 0);
  try {
    const page = await get(`http://127.0.0.1:${port}`, '/');
    assert.is(page.status, 500);
    assert.match(page.body, `the status page ${join(dir, 'no-such-page.html')} could not be read`);
    const model = await getJson(`http://127.0.0.1:${port}`, '/debug/model');
    assert.equal([model.status, model.json.ready, model.json.services], [200, false, []]);
  } finally {
    await admin.stop();
  }
});

test.run();
