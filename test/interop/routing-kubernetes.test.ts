// Gateway API routes the whole way, as users run them: GRPCRoute objects on a fake Kubernetes
// API server -> `kube-xds serve` (the CLI, Kubernetes source) -> every proxyless client
// (selectedClients) dialing xds:/// and a grpc-go app behind a real Envoy sidecar and another
// calling through a real Envoy gateway (whose virtual hosts are each Service's, so mesh routes
// apply to it too), against real Go backends. The tests run in order, on the same clients: a
// 90/10 split, a weight change to 50/50, then a Route to a Service that does not exist.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { freePort } from '../../bin/demo/free-port.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { Cluster, type ServicePort } from '../e2e/support.ts';
import { backend, grpcRoute, serviceParent } from '../k8s/fixtures.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { TestEnvoy } from '../support/envoy.ts';
import { PeerBackends, PeerClient, selectedClients, type ClientName } from '../support/peers.ts';
import { waitFor } from '../support/wait.ts';

const names = selectedClients();
const sidecarNode = 'routing-k8s-sidecar';
const gatewayNode = 'routing-k8s-gateway';

interface World {
  backends: PeerBackends;
  port: ServicePort;
  cluster: Cluster;
  controlPlane: CliControlPlane;
  envoy: TestEnvoy;
  gateway: TestEnvoy;
  /** The gateway Envoy's one listener port (on 0.0.0.0). */
  gatewayPort: number;
  clients: { label: string; client: PeerClient }[];
}

const test = suite<World>(`Gateway API routes from Kubernetes objects: proxyless clients (${names.join(', ')}) and an Envoy sidecar and gateway`, {} as World);

/** The GRPCRoute on echo, splitting its calls between echo and echo-canary. */
const split = (stableWeight: number, canaryWeight: number) =>
  grpcRoute('echo-split', {
    namespace: 'demo',
    parentRefs: [serviceParent('echo')],
    rules: [{ backendRefs: [backend('echo', 0, { weight: stableWeight }), backend('echo-canary', 0, { weight: canaryWeight })] }],
  });

test.before(async (world) => {
  world.backends = await PeerBackends.start({ grpc: ['stable-1=127.0.0.2:0', 'canary-1=127.0.0.4:0'] });
  // The Service port is the sidecar's listener on 127.0.0.1: a free one.
  world.port = { name: 'grpc', port: await freePort('127.0.0.1'), appProtocol: 'grpc' };
  const [stable, canary] = [world.backends.get('stable-1'), world.backends.get('canary-1')];
  world.cluster = await Cluster.start({ pods: [stable, canary], port: world.port });
  const { cluster } = world;
  cluster.setEndpoints('echo', [[stable, 'ready']]);
  cluster.applyService('echo-canary', [world.port]);
  cluster.setEndpoints('echo-canary', [[canary, 'ready']]);
  cluster.api.installRouteCrds();
  cluster.api.apply('grpcroutes', withPort(split(90, 10), world.port.port));
  world.gatewayPort = await freePort();
  world.controlPlane = await CliControlPlane.start([...cluster.serveArgs(), '--gateway-port', String(world.gatewayPort)]);
  const xdsAddress = world.controlPlane.xdsAddress;
  [world.envoy, world.gateway] = await Promise.all([
    TestEnvoy.start({ role: 'sidecar', xdsAddress, nodeId: sidecarNode }),
    TestEnvoy.start({ role: 'gateway', xdsAddress, nodeId: gatewayNode }),
  ]);
  world.clients = startClients(world);
});

test.after(async ({ clients, envoy, gateway, controlPlane, cluster, backends }) => {
  for (const { client } of clients ?? []) client.kill();
  await envoy?.stop();
  await gateway?.stop();
  await controlPlane?.stop();
  await cluster?.stop();
  await backends?.stop();
});

/** The Route with every backendRef on the Service port (known only once it is chosen). */
function withPort(route: ReturnType<typeof grpcRoute>, port: number): ReturnType<typeof grpcRoute> {
  const spec = route.spec as { rules: { backendRefs: { port: number }[] }[] };
  return { ...route, spec: { ...spec, rules: spec.rules.map((rule) => ({ ...rule, backendRefs: rule.backendRefs.map((ref) => ({ ...ref, port })) })) } };
}

function startClients(world: World): World['clients'] {
  const target = `echo.demo.svc.cluster.local:${world.port.port}`;
  const started: World['clients'] = names.map((name) => {
    const bootstrap = join(world.cluster.dir, `${name}.json`);
    writeFileSync(bootstrap, bootstrapText(['grpc', '--xds-address', world.controlPlane.xdsAddress, '--node-id', name, '--zone', 'zone-a']));
    return { label: name, client: PeerClient.start(name, { target: `xds:///${target}`, bootstrap, rate: 200 }) };
  });
  const viaEnvoy: ClientName = 'grpc-go';
  started.push({ label: 'via Envoy sidecar', client: PeerClient.start(viaEnvoy, { target: `127.0.0.1:${world.port.port}`, authority: target, rate: 200 }) });
  // The gateway routes by :authority, the Service's host and port, on its own port.
  started.push({ label: 'via Envoy gateway', client: PeerClient.start(viaEnvoy, { target: `127.0.0.1:${world.gatewayPort}`, authority: target, rate: 200 }) });
  return started;
}

async function each(world: World, work: (client: { label: string; client: PeerClient }) => Promise<unknown>): Promise<void> {
  const settled = await Promise.allSettled(world.clients.map(work));
  const failed = settled.find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** How many of the next `count` calls after `mark` each backend answered; any failure fails the test. */
async function nextCalls(client: PeerClient, mark: number, count: number): Promise<Record<string, number>> {
  const failuresBefore = client.failures.length;
  await client.waitForCalls(count, mark, 60_000);
  assert.is(client.failures.length, failuresBefore, `${client.name}: ${client.describeFailures()}`);
  return tally(client.calls.slice(mark, mark + count).map((call) => call.backend));
}

const tally = (backends: readonly string[]) => {
  const counts: Record<string, number> = {};
  for (const name of backends) counts[name] = (counts[name] ?? 0) + 1;
  return counts;
};

/** Each of `nodes` has ACKed a RouteConfiguration version other than the one it had in `before`. */
async function routesAckedAfter(world: World, before: ReadonlyMap<string, string | undefined>, nodes: readonly string[] = [...names, sidecarNode, gatewayNode]): Promise<void> {
  await waitFor(`${nodes.join(', ')} to ACK new routes`, async () => {
    const now = await world.controlPlane.ackedVersions(TypeUrl.Route);
    return nodes.every((node) => now.get(node) !== undefined && now.get(node) !== before.get(node));
  });
}

/** The conditions kube-xds wrote to a Route's status on the API server, as `Type: Status Reason`. */
function writtenConditions(world: World, name: string): string[] {
  const status = world.cluster.api.get('grpcroutes', 'demo', name)?.status as { parents?: { controllerName: string; conditions: { type: string; status: string; reason: string }[] }[] } | undefined;
  const ours = status?.parents?.find((parent) => parent.controllerName === 'kube-xds.io/mesh');
  return (ours?.conditions ?? []).map((condition) => `${condition.type}: ${condition.status} ${condition.reason}`);
}

test('a GRPCRoute 90/10 split: within 4 points of 10% on the canary for every client; Accepted and ResolvedRefs written', async (world) => {
  await each(world, ({ client }) => client.waitToReach(['canary-1']));
  const calls = 1_000;
  // Binomial spread of 1,000 calls at 10%: sd 0.95 points; 4 points is more than 4 sd.
  await each(world, async ({ label, client }) => {
    const seen = await nextCalls(client, client.mark, calls);
    assert.equal(Object.keys(seen).sort(), ['canary-1', 'stable-1'], `${label}: ${JSON.stringify(seen)}`);
    assert.ok(Math.abs(seen['canary-1']! / calls - 0.1) <= 0.04, `${label}: canary got ${seen['canary-1']} of ${calls}`);
  });
  await waitFor('the status written', () => writtenConditions(world, 'echo-split').length === 2);
  assert.equal(writtenConditions(world, 'echo-split'), ['Accepted: True Accepted', 'ResolvedRefs: True ResolvedRefs']);
  assert.is(await world.controlPlane.nacks(), 0);
});

test('a weight change to 50/50 reaches the calls of every client', async (world) => {
  const before = await world.controlPlane.ackedVersions(TypeUrl.Route);
  world.cluster.api.apply('grpcroutes', withPort(split(50, 50), world.port.port));
  await routesAckedAfter(world, before);
  const calls = 400;
  // Half of 400 calls: sd 2.5 points; 10 points is 4 sd.
  await each(world, async ({ label, client }) => {
    const seen = await nextCalls(client, client.mark, calls);
    assert.ok(Math.abs((seen['canary-1'] ?? 0) / calls - 0.5) <= 0.1, `${label}: canary got ${seen['canary-1']} of ${calls}: ${JSON.stringify(seen)}`);
  });
  assert.is(await world.controlPlane.nacks(), 0);
});

test('a Route to a Service that does not exist: ResolvedRefs=False written, and echo is served as before', async (world) => {
  const before = await world.controlPlane.ackedVersions(TypeUrl.Route);
  const writes = world.cluster.api.statusWrites.length;
  // On echo-canary (a backend of echo's Route): its own calls would go to the missing Service.
  const broken = grpcRoute('canary-to-nowhere', { namespace: 'demo', parentRefs: [serviceParent('echo-canary')], rules: [{ backendRefs: [backend('nowhere', world.port.port)] }] });
  world.cluster.api.apply('grpcroutes', broken);
  await waitFor('the status written', () => world.cluster.api.statusWrites.slice(writes).some((write) => write.name === 'canary-to-nowhere' && write.status === 200));
  assert.equal(writtenConditions(world, 'canary-to-nowhere'), ['Accepted: True Accepted', 'ResolvedRefs: False BackendNotFound']);
  assert.equal(writtenConditions(world, 'echo-split'), ['Accepted: True Accepted', 'ResolvedRefs: True ResolvedRefs'], 'the other Route is untouched');
  // The sidecar's RouteConfiguration holds every Service's virtual host on the port, and the
  // gateway's every Service's, so both get the change; the proxyless clients hold echo's
  // alone, which did not change.
  await routesAckedAfter(world, before, [sidecarNode, gatewayNode]);
  const proxyless = await world.controlPlane.ackedVersions(TypeUrl.Route);
  assert.equal(names.map((node) => proxyless.get(node)), names.map((node) => before.get(node)), "the proxyless clients were sent nothing: echo's routes are unchanged");
  const calls = 400;
  await each(world, async ({ label, client }) => {
    const seen = await nextCalls(client, client.mark, calls);
    assert.equal(Object.keys(seen).sort(), ['canary-1', 'stable-1'], `${label}: ${JSON.stringify(seen)}`);
    assert.ok(Math.abs(seen['canary-1']! / calls - 0.5) <= 0.1, `${label}: canary got ${seen['canary-1']} of ${calls}`);
  });
  assert.is(await world.controlPlane.nacks(), 0);
});

test.run();
