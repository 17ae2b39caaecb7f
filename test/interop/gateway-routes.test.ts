// The gateway role from Gateway API objects, as users run it: a Gateway of kube-xds's class
// with an HTTP listener, and a GRPCRoute attached to it with a hostname, on a fake Kubernetes
// API server -> `kube-xds serve` (the CLI, Kubernetes source) -> a real Envoy gateway -> real
// Go backends, called by a grpc-go client with the Route's hostname as its authority. Also the
// statuses kube-xds writes back: the Route's parent entry, the Gateway's, and a Route whose
// hostname no listener accepts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../../bin/demo/free-port.ts';
import { Cluster, type ServicePort } from '../e2e/support.ts';
import { backend, gateway, gatewayParent, grpcRoute, httpListener } from '../k8s/fixtures.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { TestEnvoy } from '../support/envoy.ts';
import { PeerBackends, PeerClient } from '../support/peers.ts';
import { waitFor } from '../support/wait.ts';

interface World {
  backends: PeerBackends;
  port: ServicePort;
  cluster: Cluster;
  controlPlane: CliControlPlane;
  envoy: TestEnvoy;
  /** The Gateway listener's port: Envoy listens on it because the Gateway says so. */
  listenerPort: number;
  client: PeerClient;
}

const test = suite<World>('Gateway API Gateways: a GRPCRoute attached to a Gateway listener, through a real Envoy gateway', {} as World);

type Written = { controllerName?: string; conditions?: { type: string; status: string; reason: string }[] }[];

function routeConditions(world: World, name: string): string[] {
  const parents = (world.cluster.api.get('grpcroutes', 'demo', name)?.status as { parents?: Written } | undefined)?.parents;
  const ours = parents?.find((parent) => parent.controllerName === 'kube-xds.io/gateway');
  return (ours?.conditions ?? []).map((condition) => `${condition.type}: ${condition.status} ${condition.reason}`);
}

test.before(async (world) => {
  world.backends = await PeerBackends.start({ grpc: ['stable-1=127.0.0.2:0', 'canary-1=127.0.0.4:0'] });
  world.port = { name: 'grpc', port: 50051, appProtocol: 'grpc' };
  const [stable, canary] = [world.backends.get('stable-1'), world.backends.get('canary-1')];
  world.cluster = await Cluster.start({ pods: [stable, canary], port: world.port });
  const { cluster } = world;
  cluster.setEndpoints('echo', [[stable, 'ready']]);
  cluster.applyService('echo-canary', [world.port]);
  cluster.setEndpoints('echo-canary', [[canary, 'ready']]);
  cluster.api.installRouteCrds();
  world.listenerPort = await freePort();
  cluster.api.apply('gateways', gateway('edge', { namespace: 'demo', listeners: [httpListener('http', world.listenerPort, { hostname: '*.example.com' })] }));
  cluster.api.apply(
    'grpcroutes',
    grpcRoute('echo-edge', {
      namespace: 'demo',
      parentRefs: [gatewayParent('edge', { sectionName: 'http' })],
      hostnames: ['echo.example.com'],
      rules: [{ backendRefs: [backend('echo', world.port.port, { weight: 90 }), backend('echo-canary', world.port.port, { weight: 10 })] }],
    }),
  );
  // The default gateway port on a free port too: only the Gateway's listener is under test.
  world.controlPlane = await CliControlPlane.start([...cluster.serveArgs(), '--gateway-port', String(await freePort())]);
  world.envoy = await TestEnvoy.start({ role: 'gateway', xdsAddress: world.controlPlane.xdsAddress, nodeId: 'gateway-routes' });
  world.client = PeerClient.start('grpc-go', { target: `127.0.0.1:${world.listenerPort}`, authority: 'echo.example.com', rate: 200 });
});

test.after(async ({ client, envoy, controlPlane, cluster, backends }) => {
  client?.kill();
  await envoy?.stop();
  await controlPlane?.stop();
  await cluster?.stop();
  await backends?.stop();
});

test('a 90/10 split through the Gateway listener for the Route hostname: within 4 points of 10% on the canary; statuses written', async (world) => {
  const { client } = world;
  await client.waitToReach(['canary-1']);
  const calls = 1_000;
  const mark = client.mark;
  const failuresBefore = client.failures.length;
  await client.waitForCalls(calls, mark, 60_000);
  assert.is(client.failures.length, failuresBefore, client.describeFailures());
  const canary = client.calls.slice(mark, mark + calls).filter((call) => call.backend === 'canary-1').length;
  // Binomial spread of 1,000 calls at 10%: sd 0.95 points; 4 points is more than 4 sd.
  assert.ok(Math.abs(canary / calls - 0.1) <= 0.04, `canary got ${canary} of ${calls}`);
  await waitFor('the Route status written', () => routeConditions(world, 'echo-edge').length === 2);
  assert.equal(routeConditions(world, 'echo-edge'), ['Accepted: True Accepted', 'ResolvedRefs: True ResolvedRefs']);
  const gatewayStatus = () => world.cluster.api.get('gateways', 'demo', 'edge')?.status as { conditions?: { type: string; status: string }[]; listeners?: { name: string; attachedRoutes: number }[] } | undefined;
  await waitFor('the Gateway status written', () => gatewayStatus()?.listeners?.[0]?.attachedRoutes === 1);
  assert.equal(gatewayStatus()?.conditions?.map((condition) => `${condition.type}: ${condition.status}`), ['Accepted: True', 'Programmed: True']);
  assert.is(await world.controlPlane.nacks(), 0);
});

test('a Route whose hostname no listener accepts: Accepted=False NoMatchingListenerHostname written, the other Route served as before', async (world) => {
  world.cluster.api.apply(
    'grpcroutes',
    grpcRoute('echo-elsewhere', { namespace: 'demo', parentRefs: [gatewayParent('edge')], hostnames: ['echo.other.org'], rules: [{ backendRefs: [backend('echo', world.port.port)] }] }),
  );
  await waitFor('the status written', () => routeConditions(world, 'echo-elsewhere').length > 0);
  assert.equal(routeConditions(world, 'echo-elsewhere'), ['Accepted: False NoMatchingListenerHostname', 'ResolvedRefs: True ResolvedRefs']);
  const { client } = world;
  const mark = client.mark;
  const failuresBefore = client.failures.length;
  await client.waitForCalls(200, mark, 60_000);
  assert.is(client.failures.length, failuresBefore, client.describeFailures());
});

test.run();
