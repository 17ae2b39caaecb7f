// Gateway API routes (ServiceModel.routes) steering real calls: every proxyless client
// (selectedClients) dialing xds:/// and a grpc-go app behind a real Envoy sidecar and another
// calling through a real Envoy gateway (whose virtual hosts are each Service's, so echo's
// routes apply to it too), side by side, against real Go backends on 127.0.0.2-6. The control
// plane runs in process on a MemorySource whose Service models carry the route entries the
// k8s stage resolves from Routes, so each scenario sets exactly the entry it needs. The same
// from Route objects on an API server through the CLI: routing-kubernetes.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { freePort } from '../../bin/demo/free-port.ts';
import { parseFlags } from '../../bin/flags.ts';
import { serveConfig, serveFlags } from '../../bin/serve-config.ts';
import { ControlPlane } from '../../bin/serve.ts';
import type { EndpointModel, ServiceModel } from '../../k8s/model.ts';
import type { RouteEntryModel } from '../../k8s/route-model.ts';
import { TestEnvoy } from '../support/envoy.ts';
import { MemorySource } from '../support/memory-source.ts';
import { PeerBackends, PeerClient, selectedClients, type ClientName } from '../support/peers.ts';
import { waitFor } from '../support/wait.ts';

const names = selectedClients();
const fqdn = (service: string) => `${service}.demo.svc.cluster.local`;
const hello = '/kubexds.demo.Echo/Hello';

/** The pods of each Service: a backend listener each, on its own address. */
const pods = {
  echo: ['stable-1@127.0.0.2', 'stable-2@127.0.0.3'],
  'echo-canary': ['canary-1@127.0.0.4'],
  slow: ['slow-1@127.0.0.5'],
  flaky: ['flaky-1@127.0.0.6', 'steady-1@127.0.0.6'],
} as const;
type ServiceName = keyof typeof pods;
const stable = new Set(['stable-1', 'stable-2']);
/** slow-1 answers after this long; a route's timeout must end the call first. */
const slowMs = 3_000;

interface World {
  backends: PeerBackends;
  /** The one Service port of every Service: the sidecar binds it on 127.0.0.1. */
  port: number;
  source: MemorySource;
  controlPlane: ControlPlane;
  xdsAddress: string;
  envoy: TestEnvoy;
  /** An Envoy gateway: its virtual hosts are each Service's, so echo's routes apply to it too. */
  gateway: TestEnvoy;
  /** The gateway's one listener port (on 0.0.0.0). */
  gatewayPort: number;
  dir: string;
  clients: LabelledClient[];
}

interface LabelledClient {
  /** The implementation, or `via Envoy sidecar` / `via Envoy gateway` for the apps calling through Envoy. */
  readonly label: string;
  readonly client: PeerClient;
}

const test = suite<World>(`Gateway API routes: proxyless clients (${names.join(', ')}) and an Envoy sidecar and gateway`, {} as World);

function service(name: ServiceName, world: World, routes?: readonly RouteEntryModel[]): ServiceModel {
  const endpoints: EndpointModel[] = pods[name].map((spec) => {
    const listener = world.backends.get(spec.split('@')[0]!);
    return { address: listener.address, port: listener.port, zone: 'zone-a', health: 'HEALTHY', pod: listener.name };
  });
  endpoints.sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1));
  return {
    namespace: 'demo',
    name,
    ipFamily: 'IPv4',
    annotations: {},
    ports: [{ name: 'grpc', port: world.port, protocol: 'TCP', appProtocol: 'grpc', endpoints }],
    ...(routes && { routes }),
  };
}

/** A rule on echo (one match), as the k8s stage resolves it: a GRPCRoute's unless `kind` says. */
function entry(rule: number, fields: Partial<Omit<RouteEntryModel, 'origin'>> & Pick<RouteEntryModel, 'backends'>, kind: 'GRPCRoute' | 'HTTPRoute' = 'GRPCRoute'): RouteEntryModel {
  return { origin: { kind, namespace: 'demo', name: 'echo', rule, match: 0 }, match: { headers: [], queryParams: [] }, ...fields };
}

const to = (name: string, weight: number, resolved = true) => ({ namespace: 'demo', name, port: 0, weight, resolved });

test.before(async (world) => {
  const specs = Object.values(pods).flat().map((spec) => {
    const [name, address] = spec.split('@');
    return `${name}=${address}:0`;
  });
  world.backends = await PeerBackends.start({ grpc: specs, delayMs: { 'slow-1': slowMs }, fail: { 'flaky-1': 'UNAVAILABLE' } });
  world.port = await freePort('127.0.0.1');
  world.source = new MemorySource((Object.keys(pods) as ServiceName[]).map((name) => service(name, world)));
  world.gatewayPort = await freePort();
  const flags = ['--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0', '--gateway-port', String(world.gatewayPort)];
  world.controlPlane = new ControlPlane(serveConfig(parseFlags(serveFlags, flags, {})), world.source);
  const { ports, synced } = await world.controlPlane.start();
  await synced;
  world.xdsAddress = `127.0.0.1:${ports.xds}`;
  [world.envoy, world.gateway] = await Promise.all([
    TestEnvoy.start({ role: 'sidecar', xdsAddress: world.xdsAddress, nodeId: 'routing-sidecar' }),
    TestEnvoy.start({ role: 'gateway', xdsAddress: world.xdsAddress, nodeId: 'routing-gateway' }),
  ]);
  world.dir = mkdtempSync(join(tmpdir(), 'kube-xds-routing-'));
});

test.after(async ({ backends, controlPlane, envoy, gateway, dir }) => {
  await envoy?.stop();
  await gateway?.stop();
  await controlPlane?.stop();
  await backends?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.before.each((world) => {
  world.clients = [];
});

test.after.each(({ clients }) => {
  for (const { client } of clients) client.kill();
});

/** Puts echo's routes (the other Services as they are) and waits until both Envoys have them. */
async function route(world: World, routes: readonly RouteEntryModel[]): Promise<void> {
  const withPorts = routes.map((one) => ({ ...one, backends: one.backends.map((backend) => ({ ...backend, port: world.port })) }));
  world.source.put(service('echo', world, withPorts));
  const wanted = withPorts.map((one) => `${one.origin.kind}/demo/echo/rule/${one.origin.rule}/match/0`);
  await waitFor("the sidecar and the gateway to hold echo's routes", async () => {
    const held = await Promise.all(
      [world.envoy, world.gateway].map(async (envoy) => {
        const dump = await envoy.admin('/config_dump?resource=dynamic_route_configs');
        const names = [...dump.matchAll(/"name": "((?:GRPC|HTTP)Route\/[^"]+)"/g)].map((match) => match[1]);
        return wanted.every((name) => names.includes(name)) && names.every((name) => wanted.includes(name!));
      }),
    );
    return held.every(Boolean);
  });
}

interface ClientSpec {
  readonly method?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly rate?: number;
}

/** Every selected proxyless client dialing echo, and grpc-go apps behind the sidecar and through the gateway, each with `spec`. */
function startClients(world: World, spec: ClientSpec = {}, tag = ''): LabelledClient[] {
  const started: LabelledClient[] = [];
  const options = { rate: spec.rate ?? 50, ...(spec.method && { method: spec.method }), ...(spec.metadata && { metadata: spec.metadata }) };
  for (const name of names) {
    const nodeId = `${name}${tag}`;
    const bootstrap = join(world.dir, `${nodeId}.json`);
    writeFileSync(bootstrap, bootstrapText(['grpc', '--xds-address', world.xdsAddress, '--node-id', nodeId, '--zone', 'zone-a']));
    started.push({ label: name + tag, client: PeerClient.start(name, { target: `xds:///${fqdn('echo')}:${world.port}`, bootstrap, ...options }) });
  }
  const viaEnvoy: ClientName = 'grpc-go';
  const authority = `${fqdn('echo')}:${world.port}`;
  started.push({ label: `via Envoy sidecar${tag}`, client: PeerClient.start(viaEnvoy, { target: `127.0.0.1:${world.port}`, authority, ...options }) });
  // The gateway routes by :authority, the Service's host and port, on its own port.
  started.push({ label: `via Envoy gateway${tag}`, client: PeerClient.start(viaEnvoy, { target: `127.0.0.1:${world.gatewayPort}`, authority, ...options }) });
  world.clients.push(...started);
  return started;
}

/** Runs `work` for every client and waits for all (a wait left running would hold the process), then throws the first error. */
async function each(clients: LabelledClient[], work: (client: LabelledClient) => Promise<unknown>): Promise<void> {
  const settled = await Promise.allSettled(clients.map(work));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** A call's outcome after `since` (performance.now()): the pod that answered, or the failure's code. */
function outcomesSince(client: PeerClient, since: number): { backend?: string; code?: string }[] {
  return [
    ...client.calls.filter((call) => call.at >= since).map((call) => ({ at: call.at, backend: call.backend })),
    ...client.failures.filter((failure) => failure.at >= since).map((failure) => ({ at: failure.at, code: failure.code })),
  ].sort((a, b) => a.at - b.at);
}

async function outcomes(client: PeerClient, since: number, count: number, timeoutMs = 60_000): Promise<{ backend?: string; code?: string }[]> {
  await waitFor(`${count} outcomes`, () => outcomesSince(client, since).length >= count, { timeoutMs });
  return outcomesSince(client, since).slice(0, count);
}

/** No stream recorded a NACK (checked while the clients are still connected). */
function assertNoNacks(world: World): void {
  const nacked = world.controlPlane.ads.streams().flatMap((stream) => stream.types.filter((type) => type.nacks > 0).map((type) => `${stream.nodeId} ${type.type}: ${type.lastNack?.message}`));
  assert.equal(nacked, [], 'no client NACKed');
}

const tally = (list: { backend?: string; code?: string }[]) => {
  const counts: Record<string, number> = {};
  for (const outcome of list) counts[outcome.backend ?? outcome.code!] = (counts[outcome.backend ?? outcome.code!] ?? 0) + 1;
  return counts;
};

test('a 90/10 split across two Services lands within 4 points of 10% on the canary', async (world) => {
  await route(world, [entry(0, { backends: [to('echo', 90), to('echo-canary', 10)] })]);
  const clients = startClients(world, { rate: 200 });
  await each(clients, ({ client }) => client.waitToReach(['canary-1']));
  const since = performance.now();
  const calls = 1_000;
  // Binomial spread of 1,000 calls at 10%: sd 0.95 points; 4 points is more than 4 sd.
  await each(clients, async ({ label, client }) => {
    const seen = tally(await outcomes(client, since, calls));
    const canary = seen['canary-1'] ?? 0;
    const others = Object.keys(seen).filter((key) => key !== 'canary-1' && !stable.has(key));
    assert.equal(others, [], `${label}: only stable and canary pods answer: ${JSON.stringify(seen)}`);
    assert.ok(Math.abs(canary / calls - 0.1) <= 0.04, `${label}: canary got ${canary} of ${calls}: ${JSON.stringify(seen)}`);
  });
  assertNoNacks(world);
});

test('a method match and a header match send those calls to the canary and the rest to stable', async (world) => {
  await route(world, [
    entry(0, { match: { path: { type: 'Exact', value: '/kubexds.demo.Echo/Canary' }, headers: [], queryParams: [] }, backends: [to('echo-canary', 1)] }),
    entry(1, { match: { headers: [{ name: 'x-canary', type: 'Exact', value: 'yes' }], queryParams: [] }, backends: [to('echo-canary', 1)] }),
  ]);
  const byMethod = startClients(world, { method: '/kubexds.demo.Echo/Canary' }, ' (method)');
  const byHeader = startClients(world, { metadata: { 'x-canary': 'yes' } }, ' (header)');
  const plain = startClients(world, { metadata: { 'x-canary': 'no' } }, ' (plain)');
  await each([...byMethod, ...byHeader], ({ client }) => client.waitToReach(['canary-1']));
  await each(plain, ({ client }) => client.waitToReach([...stable]));
  const since = performance.now();
  await each([...byMethod, ...byHeader], async ({ label, client }) => assert.equal(tally(await outcomes(client, since, 30)), { 'canary-1': 30 }, label));
  await each(plain, async ({ label, client }) => {
    const seen = tally(await outcomes(client, since, 30));
    assert.equal(Object.keys(seen).sort(), ['stable-1', 'stable-2'], `${label}: ${JSON.stringify(seen)}`);
  });
  assertNoNacks(world);
});

test("a route's timeout ends a slow call with DEADLINE_EXCEEDED, though the client's own deadline is later", async (world) => {
  // GRPCRoute v1 has no timeouts: an HTTPRoute's timeouts.request, on the gRPC port.
  await route(world, [entry(0, { backends: [to('slow', 1)], timeoutMs: 300 }, 'HTTPRoute')]);
  const clients = startClients(world, { rate: 10 });
  const since = performance.now();
  await each(clients, async ({ label, client }) => {
    // The client's deadline is 5 s and slow-1 answers after 3 s: without the route's
    // timeout every call would succeed.
    const ended = await outcomes(client, since, 10);
    const described = client.failures.map((failure) => `${failure.code} ${failure.details}`).join('; ');
    if (!label.startsWith('via Envoy') && !label.startsWith('grpc-js')) {
      assert.equal(tally(ended), { DEADLINE_EXCEEDED: 10 }, `${label}: ${described}`);
      return;
    }
    // The client sends the route's deadline on in grpc-timeout, so the backend gives up at
    // the same instant. When its reset arrives first, Envoy says UNAVAILABLE and grpc-js
    // CANCELLED ("Call cancelled", its reading of RST_STREAM CANCEL); either way no call is
    // answered.
    const codes = client.failures.filter((failure) => failure.at >= since).slice(0, 10);
    const raced = (failure: { code: string; details: string }) =>
      label.startsWith('grpc-js') ? failure.code === 'CANCELLED' && failure.details === 'Call cancelled' : failure.code === 'UNAVAILABLE' && failure.details.includes('reset');
    assert.ok(ended.every((outcome) => outcome.code !== undefined), `${label}: a call was answered: ${described}`);
    assert.ok(codes.every((failure) => failure.code === 'DEADLINE_EXCEEDED' || raced(failure)), `${label}: ${described}`);
    assert.ok(codes.some((failure) => failure.code === 'DEADLINE_EXCEEDED'), `${label}: ${described}`);
  });
  assertNoNacks(world);
});

test("a retry policy turns one pod's UNAVAILABLE into an answer from the other pod", async (world) => {
  // Retries on gRPC status come from a GRPCRoute, once its API has them (HTTPRoute's retry
  // codes are HTTP status codes, which gRPC clients are not served).
  await route(world, [entry(0, { backends: [to('flaky', 1)], retry: { on: ['unavailable'], attempts: 3, backoffMs: 10 } })]);
  const clients = startClients(world, { rate: 50 });
  const since = performance.now();
  await each(clients, async ({ label, client }) => {
    // flaky-1 fails every call; round robin alternates, so half the first attempts fail.
    const seen = tally(await outcomes(client, since, 60));
    assert.equal(seen, { 'steady-1': 60 }, `${label}: ${JSON.stringify(seen)}; ${client.describeFailures()}`);
  });
  assertNoNacks(world);
});

test('a backend that does not exist fails its share with UNAVAILABLE, and the rest is served as before', async (world) => {
  await route(world, [entry(0, { backends: [to('echo', 1), to('missing', 1, false)] })]);
  const clients = startClients(world, { rate: 200 });
  await each(clients, ({ client }) => client.waitToReach([...stable]));
  const since = performance.now();
  const calls = 400;
  await each(clients, async ({ label, client }) => {
    const seen = tally(await outcomes(client, since, calls));
    assert.equal(Object.keys(seen).sort(), ['UNAVAILABLE', 'stable-1', 'stable-2'], `${label}: ${JSON.stringify(seen)}`);
    // Half of 400 calls: sd 2.5 points; 10 points is 4 sd.
    assert.ok(Math.abs(seen.UNAVAILABLE! / calls - 0.5) <= 0.1, `${label}: ${seen.UNAVAILABLE} of ${calls} failed`);
  });
  assertNoNacks(world);
});

test.run();
