// Drill: the API server is unreachable when the control plane starts. It is alive (/healthz
// 200) and not ready (/readyz 503), and it answers no client: no configuration, and above
// all no empty one, which would wipe what a client holds. Once the API server appears it
// becomes ready and every client is configured. Real clients: grpc-go and grpc-js proxyless,
// Envoy as a gateway (delta ADS) and as a sidecar (state of the world), each with a client
// calling through it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Fleet } from '../support/drill-fleet.ts';
import type { ServeReplica } from '../support/serve-replica.ts';
import { sleep, waitFor } from '../support/wait.ts';
import { addReplica, echoHolds, envMs, newFleet, startBackends, startCluster, stopAll, type World } from './world.ts';

const test = suite<World>('drill: API server unreachable at start', {} as World);

test.before(startBackends);
test.after(async ({ backends }) => backends?.stop());
test.before.each(startCluster);
test.after.each(stopAll);

/**
 * How long a replica restarted during the outage stays not ready while clients hold their
 * configuration (KUBE_XDS_DRILL_NOT_READY_MS). Default 20 s: longer than the 15 s
 * does-not-exist timer of gRPC clients, so a client that took "no answer" for "deleted"
 * would drop its configuration and fail calls within the drill.
 */
const notReadyMs = envMs('KUBE_XDS_DRILL_NOT_READY_MS', 20_000);

/** Every node has a stream on `replica` asking for something, and nothing was ever sent on any. */
async function waitAskedAndUnanswered(replica: ServeReplica, fleet: Fleet): Promise<void> {
  await waitFor('every client to connect and ask', async () => {
    const streams = await replica.streams();
    return fleet.nodeIds.every((node) => streams.some((stream) => stream.nodeId === node && stream.types.some((type) => type.subscribed.length > 0 || type.wildcard)));
  }, { timeoutMs: 30_000 });
  await assertNothingSent(replica);
}

async function assertNothingSent(replica: ServeReplica): Promise<void> {
  for (const stream of await replica.streams()) {
    for (const type of stream.types) {
      assert.is(type.responsesSent, 0, `${stream.nodeId} was sent ${type.type} (version ${type.lastVersionSent}) before the replica was ready`);
      assert.is(type.sync, 'NOT_SENT', `${stream.nodeId} ${type.type}`);
    }
  }
}

async function assertProbes(replica: ServeReplica, ready: boolean): Promise<void> {
  assert.is(await replica.status('/healthz'), 200, '/healthz');
  assert.is(await replica.status('/readyz'), ready ? 200 : 503, '/readyz');
}

test('fresh clients get nothing while it cannot list; it appears: ready, every client configured, no call fails once configured', async (world) => {
  world.cluster.setPods(['ready', 'ready', 'ready']);
  await world.cluster.api.goDown();
  const replica = await addReplica(world);
  await replica.start({ waitReady: false });
  await assertProbes(replica, false);

  // Proxyless clients call from the start with a deadline long enough to outlast the outage:
  // a call made before any configuration waits for it, so none may fail. Each Envoy's client
  // starts once its Envoy is live (it has no listener before that).
  const fleet = newFleet(world, replica.xdsAddress, { deadlineMs: 60_000 });
  fleet.startProxyless();
  let envoysLive = false;
  const envoys = fleet.startEnvoys().then(() => void (envoysLive = true));
  envoys.catch(() => {});
  await waitAskedAndUnanswered(replica, fleet);
  // A few failed attempts to reach the API server later, still nothing was sent.
  await waitFor('the source to retry the API server three times', async () => (await replica.metric('kube_xds_source_restarts_total')) >= 3, { timeoutMs: 30_000 });
  await assertProbes(replica, false);
  await assertNothingSent(replica);
  assert.is(await replica.metric('kube_xds_ready'), 0, 'kube_xds_ready');
  for (const { label, client } of fleet.callers) assert.is(client.calls.length, 0, `${label} was answered before any configuration existed`);
  assert.not.ok(envoysLive, 'an Envoy went live (took a configuration) before the replica was ready');

  await world.cluster.api.comeUp();
  await replica.waitReady();
  await assertProbes(replica, true);
  await envoys;
  fleet.startEnvoyCallers();
  await fleet.waitSettledOn(['pod-1', 'pod-2', 'pod-3']);
  await fleet.waitToHold(echoHolds(world, fleet, ['pod-1', 'pod-2', 'pod-3']), [replica]);
  assert.equal(fleet.failures(), [], 'no call failed');
  await fleet.stop();
  assert.is(await replica.nacks(), 0, 'NACKs');
  assert.equal(replica.errors(), [], 'no error logged');
});

test(`restarted while the API server is unreachable, it serves nothing for ${notReadyMs} ms and every client keeps calling on what it holds`, async (world) => {
  world.cluster.setPods(['ready', 'ready', 'ready']);
  const replica = await addReplica(world);
  await replica.start();
  const fleet = newFleet(world, replica.xdsAddress);
  await fleet.start();
  await fleet.waitSettledOn(['pod-1', 'pod-2', 'pod-3']);
  const three = echoHolds(world, fleet, ['pod-1', 'pod-2', 'pod-3']);
  await fleet.waitToHold(three, [replica]);
  assert.is(await replica.nacks(), 0, 'NACKs before the restart');

  await world.cluster.api.goDown();
  await replica.signal('SIGKILL');
  await replica.start({ waitReady: false });
  await waitAskedAndUnanswered(replica, fleet);
  // Held past the clients' does-not-exist timers, checking all along.
  const until = Date.now() + notReadyMs;
  while (Date.now() < until) {
    await assertProbes(replica, false);
    await assertNothingSent(replica);
    assert.equal(fleet.failures(), [], 'no call failed while the replica was not ready');
    await sleep(1_000);
  }
  // Still calling every pod they held, and the Envoys still hold every endpoint.
  await fleet.waitSettledOn(['pod-1', 'pod-2', 'pod-3'], fleet.marks());
  await fleet.waitToHold(three, []);

  await world.cluster.api.comeUp();
  await replica.waitReady();
  const marks = fleet.marks();
  world.cluster.setPods(['ready', 'ready', 'ready', 'ready', 'ready']);
  const five = ['pod-1', 'pod-2', 'pod-3', 'pod-4', 'pod-5'];
  await fleet.waitSettledOn(five, marks);
  await fleet.waitToHold(echoHolds(world, fleet, five), [replica]);
  assert.equal(fleet.failures(), [], 'no call failed');
  await fleet.stop();
  assert.is(await replica.nacks(), 0, 'NACKs');
  assert.equal(replica.errors(), [], 'no error logged');
});

test.run();
