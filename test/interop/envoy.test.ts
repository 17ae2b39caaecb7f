// Real Envoy 1.40 as a gateway and as a sidecar, from the CLI's own bootstrap, in front of
// real Go backends: a plain grpc-js client holds one HTTP/2 connection to Envoy and every
// request is balanced over the pods. The control plane is the CLI on a fake API server.
// Each role runs once per ADS stream selected (`--ads sotw|delta`; KUBE_XDS_ENVOY_ADS).
import { request } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Cluster, podAddresses, podNames, type Pod, type PodState, type ServicePort } from '../e2e/support.ts';
import { freePort } from '../../bin/demo/free-port.ts';
import type { EnvoyAds } from '../../envoy-config/envoy-ads.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { selectedEnvoyAds, TestEnvoy } from '../support/envoy.ts';
import { PeerBackends, PeerClient } from '../support/peers.ts';
import { waitFor } from '../support/wait.ts';

type Role = 'gateway' | 'sidecar';

const five: PodState[] = ['ready', 'ready', 'ready', 'ready', 'ready'];
const webAddress = '127.0.0.7';

interface World {
  backends: PeerBackends;
  pods: Pod[];
  web: Pod;
  cluster: Cluster;
  controlPlane: CliControlPlane;
  envoy: TestEnvoy;
  /** Where the app dials for a Service port: the gateway's listener, or 127.0.0.1:P for a sidecar. */
  listenerPort: (servicePort: number) => number;
  gatewayPort: number;
  echo: ServicePort;
  clients: PeerClient[];
}

const authority = (service: string, port: number) => `${service}.demo.svc.cluster.local:${port}`;

/** A Service port: a fixed number behind a gateway; a free loopback port for a sidecar, which binds it. */
async function servicePort(role: Role, fixed: number): Promise<number> {
  return role === 'gateway' ? fixed : freePort();
}

function envoySuite(role: Role, ads: EnvoyAds) {
  const test = suite<World>(`Envoy ${role} (${ads} ADS)`, {} as World);

  test.before(async (world) => {
    const grpcPort = await freePort(podAddresses[0]);
    world.backends = await PeerBackends.start({
      grpc: podAddresses.map((address, i) => `${podNames[i]}=${address}:${grpcPort}`),
      http: [`web-1=${webAddress}:0`],
    });
    world.pods = world.backends.listeners.filter((listener) => listener.protocol === 'grpc');
    world.web = world.backends.get('web-1');
  });

  test.after(async ({ backends }) => {
    await backends?.stop();
  });

  test.before.each(async (world) => {
    world.clients = [];
    world.echo = { name: 'grpc', port: await servicePort(role, 50051), appProtocol: 'grpc' };
    world.cluster = await Cluster.start({ pods: world.pods, port: world.echo });
    world.gatewayPort = await freePort();
    world.listenerPort = (port) => (role === 'gateway' ? world.gatewayPort : port);
    world.controlPlane = await CliControlPlane.start([...world.cluster.serveArgs(), '--gateway-port', String(world.gatewayPort)]);
    world.envoy = await TestEnvoy.start({ role, xdsAddress: world.controlPlane.xdsAddress, ads });
  });

  test.after.each(async ({ clients, envoy, controlPlane, cluster }) => {
    for (const client of clients) client.kill();
    await envoy?.stop();
    await controlPlane?.stop();
    await cluster?.stop();
  });

  /** A plain grpc-js client (one HTTP/2 connection) to Envoy, with the Service's authority. */
  function startClient(world: World, service = 'echo', port = world.echo.port): PeerClient {
    const client = PeerClient.start('grpc-js', { target: `127.0.0.1:${world.listenerPort(port)}`, authority: authority(service, port), rate: 100 });
    world.clients.push(client);
    return client;
  }

  /** Envoy holds every cluster active, nothing warming, and refused nothing; no call failed; no NACK. */
  async function finish(world: World, expectedClusters: string[]): Promise<void> {
    const summaries = await Promise.all(world.clients.map(async (client) => [client, await client.stop()] as const));
    for (const [client, summary] of summaries) assert.equal(summary.failures, {}, `${client.describeFailures()}`);
    assert.equal(await world.envoy.warming(), [], 'no cluster or listener stuck warming');
    const active = await world.envoy.activeClusters();
    for (const cluster of expectedClusters) assert.ok(active.includes(cluster), `${cluster} is active: ${active.join(', ')}`);
    assert.equal(await world.envoy.rejectedUpdates(), [], 'Envoy rejected no update');
    assert.is(await world.envoy.adsApiType(), ads === 'delta' ? 'DELTA_GRPC' : 'GRPC', `Envoy ran on ${ads} ADS`);
    assert.is(await world.controlPlane.nacks(), 0, (await world.controlPlane.nackMessages()).join('; '));
  }

  const echoCluster = (world: World) => `outbound|${world.echo.port}||echo.demo.svc.cluster.local`;

  test('calls over one connection are spread per request over five pods', async (world) => {
    world.cluster.setPods(five);
    const client = startClient(world);
    await client.waitToReach(podNames);
    const mark = client.mark;
    await client.waitForCalls(250, mark);
    const counts = client.countsSince(mark);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    for (const pod of podNames) {
      const share = (counts.get(pod) ?? 0) / total;
      assert.ok(Math.abs(share - 0.2) <= 0.02, `${pod} got ${counts.get(pod) ?? 0} of ${total} calls: ${JSON.stringify([...counts])}`);
    }
    await finish(world, [echoCluster(world)]);
  });

  test('a scale from one pod to five reaches all five', async (world) => {
    world.cluster.setPods(['ready']);
    const client = startClient(world);
    await client.waitToReach(['pod-1']);
    const mark = client.mark;
    await client.waitForCalls(20, mark);
    assert.equal([...client.countsSince(mark).keys()], ['pod-1']);
    world.cluster.setPods(five);
    await client.waitToReach(podNames, mark);
    await finish(world, [echoCluster(world)]);
  });

  test('a new Service becomes routable, and an HTTP/1.1 port of another Service is routed too', async (world) => {
    world.cluster.setPods(['ready']);
    const first = startClient(world);
    await first.waitToReach(['pod-1']);

    const extra: ServicePort = { name: 'grpc', port: await servicePort(role, 50052), appProtocol: 'grpc' };
    world.cluster.applyService('extra', [extra]);
    world.cluster.setEndpoints('extra', world.pods.slice(3).map((pod) => [pod, 'ready'] as const));
    const second = startClient(world, 'extra', extra.port);
    await second.waitToReach(['pod-4', 'pod-5']);

    const web: ServicePort = { name: 'http', port: await servicePort(role, 80) };
    world.cluster.applyService('web', [web]);
    world.cluster.setEndpoints('web', [[world.web, 'ready']], { portName: 'http' });
    const answer = await waitFor('the HTTP/1.1 Service to be routed', async () => {
      const { status, body } = await http1Get(world.listenerPort(web.port), authority('web', web.port));
      return status === 200 && body;
    });
    assert.is(answer, 'web-1');
    // Nothing else was disturbed meanwhile.
    const mark = first.mark;
    await first.waitForCalls(20, mark);
    await finish(world, [echoCluster(world), `outbound|${extra.port}||extra.demo.svc.cluster.local`, `outbound|${web.port}||web.demo.svc.cluster.local`]);
  });

  test('draining four of five pods at once costs no call, and they get no new request', async (world) => {
    world.cluster.setPods(five);
    const client = startClient(world);
    await client.waitToReach(podNames);
    world.cluster.setPods(['ready', 'draining', 'draining', 'draining', 'draining']);
    await waitFor('Envoy to take the four pods as draining', async () => {
      const hosts = await world.envoy.hosts(echoCluster(world));
      return hosts.filter((host) => host.edsHealth === 'DRAINING').length === 4;
    });
    await waitFor('calls to settle on pod-1', () => client.settledOn(new Set(['pod-1'])));
    const mark = client.mark;
    await client.waitForCalls(100, mark);
    assert.equal([...client.countsSince(mark).keys()], ['pod-1'], 'no request reaches a draining pod (no panic mode)');
    world.cluster.setPods(['ready']);
    const afterRemoval = client.mark;
    await client.waitForCalls(50, afterRemoval);
    await finish(world, [echoCluster(world)]);
  });

  test('the control plane killed (SIGKILL) and restarted costs no call, and later changes arrive', async (world) => {
    world.cluster.setPods(['ready', 'ready', 'ready']);
    const client = startClient(world);
    await client.waitToReach(['pod-1', 'pod-2', 'pod-3']);
    assert.is(await world.controlPlane.nacks(), 0);
    await world.controlPlane.kill('SIGKILL');
    const whileDown = client.mark;
    await client.waitForCalls(100, whileDown);
    await world.controlPlane.restart();
    const mark = client.mark;
    world.cluster.setPods(five);
    await client.waitToReach(['pod-4', 'pod-5'], mark);
    await finish(world, [echoCluster(world)]);
  });

  return test;
}

function http1Get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false, timeout: 5_000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    call.on('error', reject);
    call.on('timeout', () => call.destroy(new Error('timeout')));
    call.end();
  });
}

for (const ads of selectedEnvoyAds()) {
  envoySuite('gateway', ads).run();
  envoySuite('sidecar', ads).run();
}
