// The proxyless matrix: every real gRPC client (grpc-go, grpc-java, C-core new and old,
// grpc-js) against the control plane as users run it (the CLI, Kubernetes source on a fake
// API server) and real Go backends on 127.0.0.2-6. All clients run side by side in each
// scenario, call continuously, and are checked one by one; the server must record no NACK.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { Cluster, podAddresses, podNames, target, type Pod, type PodState } from '../e2e/support.ts';
import { freePort } from '../../bin/demo/free-port.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { PeerBackends, PeerClient, selectedClients } from '../support/peers.ts';
import { waitFor } from '../support/wait.ts';

const names = selectedClients();
const five: PodState[] = ['ready', 'ready', 'ready', 'ready', 'ready'];

interface World {
  backends: PeerBackends;
  /** The pods on their port, and the same pods on a second port (a changed targetPort) as pod-N-v2. */
  pods: Pod[];
  podsOnSecondPort: Pod[];
  cluster: Cluster;
  controlPlane: CliControlPlane;
  clients: PeerClient[];
}

const test = suite<World>(`proxyless clients (${names.join(', ')})`, {} as World);

test.before(async (world) => {
  const first = await freePort(podAddresses[0]);
  let second = first;
  while (second === first) second = await freePort(podAddresses[0]);
  // The same pods on a second port answer with another name, so a client shows which it calls.
  const grpc = [
    ...podAddresses.map((address, i) => `${podNames[i]}=${address}:${first}`),
    ...podAddresses.map((address, i) => `${podNames[i]}-v2=${address}:${second}`),
  ];
  world.backends = await PeerBackends.start({ grpc });
  const onPort = (port: number) => world.backends.listeners.filter((listener) => listener.port === port);
  world.pods = onPort(first);
  world.podsOnSecondPort = onPort(second);
});

test.after(async ({ backends }) => {
  await backends?.stop();
});

test.before.each(async (world) => {
  world.clients = [];
  world.cluster = await Cluster.start({ pods: world.pods });
});

test.after.each(async ({ clients, controlPlane, cluster }) => {
  for (const client of clients) client.kill();
  await controlPlane?.stop();
  await cluster.stop();
});

/**
 * Starts the control plane on the cluster as it is (its initial sync sees every pod, so no
 * client starts on a Service without endpoints), then every selected client on the echo
 * target, each with its own bootstrap and node id.
 */
async function startClients(world: World, options: { idleTimeoutMs?: number } = {}): Promise<PeerClient[]> {
  world.controlPlane = await CliControlPlane.start(world.cluster.serveArgs());
  for (const name of names) {
    const bootstrap = join(world.cluster.dir, `${name}.json`);
    writeFileSync(bootstrap, bootstrapText(['grpc', '--xds-address', world.controlPlane.xdsAddress, '--node-id', name, '--zone', 'zone-a']));
    world.clients.push(PeerClient.start(name, { target: `xds:///${target}`, bootstrap, rate: 50, ...options }));
  }
  return world.clients;
}

const each = (clients: PeerClient[], work: (client: PeerClient) => Promise<unknown>) => Promise.all(clients.map(work));

/** Every client ends its run with no failed call, and the server saw no NACK. */
async function finish(world: World, { failures = 'none' }: { failures?: 'none' | 'allowed' } = {}): Promise<void> {
  const summaries = await Promise.all(world.clients.map(async (client) => [client, await client.stop()] as const));
  const nacks = await world.controlPlane.nacks();
  assert.is(nacks, 0, `the server recorded ${nacks} NACKs: ${(await world.controlPlane.nackMessages()).join('; ')}`);
  for (const [client, summary] of summaries) {
    assert.ok(Object.keys(summary.calls).length > 0, `${client.name} made no successful call`);
    if (failures === 'none') assert.equal(summary.failures, {}, `${client.name}: ${client.describeFailures()}`);
  }
}

test('calls spread evenly over five ready pods', async (world) => {
  world.cluster.setPods(five);
  const clients = await startClients(world);
  await each(clients, (client) => client.waitToReach(podNames));
  const marks = new Map(clients.map((client) => [client, client.mark]));
  await each(clients, (client) => client.waitForCalls(250, marks.get(client)));
  for (const client of clients) {
    const counts = client.countsSince(marks.get(client)!);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    for (const pod of podNames) {
      const share = (counts.get(pod) ?? 0) / total;
      assert.ok(Math.abs(share - 0.2) <= 0.02, `${client.name}: ${pod} got ${counts.get(pod) ?? 0} of ${total} calls: ${JSON.stringify([...counts])}`);
    }
  }
  await finish(world);
});

test('a scale from one pod to five reaches all five', async (world) => {
  world.cluster.setPods(['ready']);
  const clients = await startClients(world);
  await each(clients, (client) => client.waitToReach(['pod-1']));
  const marks = new Map(clients.map((client) => [client, client.mark]));
  await each(clients, (client) => client.waitForCalls(20, marks.get(client)));
  for (const client of clients) assert.equal([...client.countsSince(marks.get(client)!).keys()], ['pod-1'], client.name);
  world.cluster.setPods(five);
  await each(clients, (client) => client.waitToReach(podNames, marks.get(client)));
  await finish(world);
});

test('a drain costs no call: terminating pods get no new calls, then leave', async (world) => {
  world.cluster.setPods(five);
  const clients = await startClients(world);
  await each(clients, (client) => client.waitToReach(podNames));
  world.cluster.setPods(['ready', 'ready', 'draining', 'draining', 'draining']);
  const remaining = new Set(['pod-1', 'pod-2']);
  await each(clients, (client) => waitFor(`${client.name} to stop calling the terminating pods`, () => client.settledOn(remaining)));
  const marks = new Map(clients.map((client) => [client, client.mark]));
  await each(clients, (client) => client.waitForCalls(100, marks.get(client)));
  for (const client of clients) {
    const counts = client.countsSince(marks.get(client)!);
    assert.equal([...counts.keys()].sort(), ['pod-1', 'pod-2'], `${client.name} called a terminating pod: ${JSON.stringify([...counts])}`);
  }
  world.cluster.setPods(['ready', 'ready']);
  const afterRemoval = new Map(clients.map((client) => [client, client.mark]));
  await each(clients, (client) => client.waitForCalls(50, afterRemoval.get(client)));
  await finish(world);
});

test('after a watch reset and after a 410 Gone, later changes still arrive', async (world) => {
  world.cluster.setPods(['ready']);
  const clients = await startClients(world);
  await each(clients, (client) => client.waitToReach(['pod-1']));
  const faults: Array<[string, () => void]> = [
    ['a connection reset', () => world.cluster.api.resetConnections()],
    ['410 Gone', () => {
      world.cluster.api.compact();
      world.cluster.api.expireWatches();
    }],
  ];
  let pods: PodState[] = ['ready'];
  for (const [fault, inject] of faults) {
    inject();
    pods = [...pods, 'ready'];
    const marks = new Map(clients.map((client) => [client, client.mark]));
    world.cluster.setPods(pods);
    const newest = podNames[pods.length - 1]!;
    await each(clients, (client) =>
      client.waitToReach([newest], marks.get(client)).catch((error) => {
        throw new Error(`after ${fault}: ${(error as Error).message}`);
      }),
    );
  }
  await finish(world);
});

test('the control plane killed (SIGKILL) and restarted costs no call, and later changes arrive', async (world) => {
  world.cluster.setPods(['ready', 'ready', 'ready']);
  const clients = await startClients(world);
  await each(clients, (client) => client.waitToReach(['pod-1', 'pod-2', 'pod-3']));
  // No NACK may hide in the process about to die.
  assert.is(await world.controlPlane.nacks(), 0, (await world.controlPlane.nackMessages()).join('; '));
  await world.controlPlane.kill('SIGKILL');
  const whileDown = new Map(clients.map((client) => [client, client.mark]));
  await each(clients, (client) => client.waitForCalls(50, whileDown.get(client)));
  await world.controlPlane.restart();
  const marks = new Map(clients.map((client) => [client, client.mark]));
  world.cluster.setPods(five);
  await each(clients, (client) => client.waitToReach(['pod-4', 'pod-5'], marks.get(client)));
  await finish(world);
  assert.equal(await world.controlPlane.kill('SIGTERM'), { code: 0, signal: null }, 'SIGTERM stops the control plane cleanly');
});

test('an idle channel that wakes after the Service changed uses the new pods', async (world) => {
  world.cluster.setPods(['ready', 'ready']);
  const clients = await startClients(world, { idleTimeoutMs: 1_000 });
  await each(clients, (client) => client.waitToReach(['pod-1', 'pod-2']));
  for (const client of clients) client.pause();
  // Every client closes its ADS stream once idle (no stream left for its node id passes too).
  await waitFor('every client to go idle and drop its subscriptions', async () => {
    const streams = await world.controlPlane.streams();
    return names.every((name) => streams.filter((stream) => stream.nodeId === name).every((stream) => stream.types.every((type) => type.subscribed.length === 0)));
  });
  // Pods 1 and 2 are replaced by 3, 4 and 5 while the channels sleep.
  world.cluster.setEndpoints('echo', world.pods.slice(2).map((pod) => [pod, 'ready'] as const));
  const marks = new Map(clients.map((client) => [client, client.mark]));
  for (const client of clients) client.resume();
  const newPods = new Set(['pod-3', 'pod-4', 'pod-5']);
  await each(clients, (client) => client.waitToReach([...newPods], marks.get(client)));
  await each(clients, (client) => waitFor(`${client.name} to call only the new pods`, () => client.settledOn(newPods)));
  await finish(world);
});

test('a Service deleted and created again (as is, then with a changed port) is used again without a client restart', async (world) => {
  world.cluster.setPods(five);
  const clients = await startClients(world);
  await each(clients, (client) => client.waitToReach(podNames));
  const redeploys = [
    { how: 'as it was', portName: 'grpc', slice: 'echo-fghij', pods: world.pods },
    { how: 'with a changed port name and target port', portName: 'grpc-v2', slice: 'echo-klmno', pods: world.podsOnSecondPort },
  ];
  let slice = 'echo-abcde';
  for (const { how, portName, pods, ...next } of redeploys) {
    const before = await world.controlPlane.ackedVersions(TypeUrl.Endpoint);
    const failuresBefore = new Map(clients.map((client) => [client, client.failures.length]));
    world.cluster.deleteService('echo', slice);
    await waitFor('every client to ACK the deletion', async () => {
      const after = await world.controlPlane.ackedVersions(TypeUrl.Endpoint);
      return names.every((name) => after.get(name) !== undefined && after.get(name) !== before.get(name));
    });
    // Calls fail fast on the emptied assignment; grpc-java keeps its last endpoints instead
    // (it takes an assignment without endpoints as a resolution error).
    const failing = clients.filter((client) => client.name !== 'grpc-java');
    await each(failing, (client) => waitFor(`${client.name} to fail calls to the deleted Service`, () => client.failures.length > failuresBefore.get(client)!));

    const marks = new Map(clients.map((client) => [client, client.mark]));
    world.cluster.applyService('echo', [{ name: portName, port: 50051, appProtocol: 'grpc' }]);
    world.cluster.setEndpoints('echo', pods.map((pod) => [pod, 'ready'] as const), { slice: next.slice, portName });
    slice = next.slice;
    // Back as it was, grpc-java (which kept its endpoints) reaches the same pods trivially; the
    // second round, on new endpoints, proves it too.
    const expected = pods.map((pod) => pod.name);
    // Every client is back within ~30 ms of the push but C-core 1.51, which reads it only at
    // its next backup poll (every 5 s) while all its calls fail fast: npm run bench, clients.
    await each(clients, (client) =>
      client.waitToReach(expected, marks.get(client), 30_000).catch((error) => {
        throw new Error(`after the Service came back ${how}: ${(error as Error).message}`);
      }),
    );
    await each(clients, (client) => waitFor(`${client.name} to call only the new pods`, () => client.settledOn(new Set(expected))));
  }
  await finish(world, { failures: 'allowed' });
  for (const client of clients) {
    const codes = [...new Set(client.failures.map((failure) => failure.code))];
    assert.equal(codes, client.name === 'grpc-java' ? [] : ['UNAVAILABLE'], `${client.name}: calls to a deleted Service fail fast`);
  }
});

test.run();
