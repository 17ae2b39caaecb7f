// Drills with two control-plane replicas behind one address, as deploy/base runs them (two
// replicas, one Service): both on the same API server, and an L4 proxy in front spreading
// connections over them the way a ClusterIP does. One replica is killed (SIGKILL), or
// stopped (SIGTERM) while a storm of endpoint changes is being pushed: the clients whose
// streams were on it move to the other, no call fails, and every client ends holding exactly
// the API server's state.
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import type { PodState } from '../e2e/support.ts';
import type { Fleet } from '../support/drill-fleet.ts';
import type { ServeReplica } from '../support/serve-replica.ts';
import { SpreadingProxy } from '../support/spreading-proxy.ts';
import { waitFor } from '../support/wait.ts';
import { addReplica, echoHolds, newFleet, startBackends, startCluster, stopAll, type World } from './world.ts';

const test = suite<World>('drill: two replicas behind one address', {} as World);

test.before(startBackends);
test.after(async ({ backends }) => backends?.stop());
test.before.each(startCluster);
test.after.each(stopAll);

/** The time kubelet gives a stopping pod before SIGKILL, as deploy/base sets it. */
const gracePeriodMs = (() => {
  const deployment = parse(readFileSync(new URL('../../deploy/base/deployment.yaml', import.meta.url), 'utf8')) as {
    spec: { template: { spec: { terminationGracePeriodSeconds: number } } };
  };
  return deployment.spec.template.spec.terminationGracePeriodSeconds * 1_000;
})();

const three = ['pod-1', 'pod-2', 'pod-3'];

/** Two ready replicas, the proxy in front, every client configured on pods 1-3 and calling. */
async function twoReplicas(world: World): Promise<{ replicas: [ServeReplica, ServeReplica]; fleet: Fleet }> {
  world.cluster.setPods(['ready', 'ready', 'ready']);
  const replicas: [ServeReplica, ServeReplica] = [await addReplica(world, 'replica-a'), await addReplica(world, 'replica-b')];
  await Promise.all(replicas.map((replica) => replica.start()));
  world.proxy = await SpreadingProxy.start(replicas.map((replica) => replica.xdsAddress));
  const fleet = newFleet(world, world.proxy.address);
  await fleet.start();
  await fleet.waitSettledOn(three);
  await fleet.waitToHold(echoHolds(world, fleet, three), replicas);
  return { replicas, fleet };
}

/**
 * The replica to stop: the one holding more streams. Both must hold some, or the drill would
 * prove nothing (no client moves, or no replica survives with clients of its own).
 */
async function victimOf(fleet: Fleet, replicas: readonly ServeReplica[]): Promise<{ victim: ServeReplica; survivor: ServeReplica; moving: string[] }> {
  const placement = await fleet.streamsByNode(replicas);
  for (const [node, streams] of placement) assert.is(streams.length, 1, `${node} has one stream: ${streams.join(', ')}`);
  const on = (replica: ServeReplica) => [...placement].filter(([, [stream]]) => stream!.startsWith(`${replica.name}#`)).map(([node]) => node);
  const [a, b] = replicas as [ServeReplica, ServeReplica];
  assert.ok(on(a).length > 0 && on(b).length > 0, `the clients are spread over both replicas: ${JSON.stringify([...placement])}`);
  const [victim, survivor] = on(a).length >= on(b).length ? [a, b] : [b, a];
  return { victim, survivor, moving: on(victim) };
}

/** Every node ends with its one stream on `survivor`. */
async function waitAllOn(fleet: Fleet, replicas: readonly ServeReplica[], survivor: ServeReplica): Promise<void> {
  let placement = new Map<string, string[]>();
  await waitFor('every client to have its one stream on the surviving replica', async () => {
    placement = await fleet.streamsByNode(replicas);
    return [...placement.values()].every((streams) => streams.length === 1 && streams[0]!.startsWith(`${survivor.name}#`));
  }, { timeoutMs: 60_000, intervalMs: 100 }).catch((error) => {
    throw new Error(`${(error as Error).message}: ${JSON.stringify([...placement])}`);
  });
}

test('one replica killed (SIGKILL): its clients move to the other, no call fails, and a later change reaches every client', async (world) => {
  const { replicas, fleet } = await twoReplicas(world);
  const { victim, survivor, moving } = await victimOf(fleet, replicas);
  assert.is(await victim.nacks(), 0, `NACKs on ${victim.name}, about to die`);
  const marks = fleet.marks();
  assert.equal(await victim.signal('SIGKILL'), { code: null, signal: 'SIGKILL' });
  await waitAllOn(fleet, replicas, survivor);
  // They call on meanwhile, on what they held.
  await fleet.waitSettledOn(three, marks);

  const afterMove = fleet.marks();
  world.cluster.setPods(['ready', 'ready', 'ready', 'ready', 'ready']);
  const five = [...three, 'pod-4', 'pod-5'];
  await fleet.waitSettledOn(five, afterMove);
  await fleet.waitToHold(echoHolds(world, fleet, five), [survivor]);
  assert.equal(fleet.failures(), [], `no call failed (${moving.join(', ')} moved from ${victim.name})`);
  await fleet.stop();
  assert.is(await survivor.nacks(), 0, 'NACKs');
  assert.equal(survivor.errors(), [], `no error logged by ${survivor.name}`);
});

test(`SIGTERM to one replica during a push storm: it exits 0 within the ${gracePeriodMs / 1_000} s grace period, clients move to the other, no call fails, the final state reaches every client`, async (world) => {
  const { replicas, fleet } = await twoReplicas(world);
  const { victim, survivor, moving } = await victimOf(fleet, replicas);

  // The storm: pods 1 and 2 stay ready; pods 3, 4 and 5 come and go (ready, draining,
  // absent) in a different combination each change, two changes every 2 ms timer tick.
  const states: readonly (PodState | undefined)[] = ['ready', 'draining', undefined];
  let changes = 0;
  let last: readonly (readonly [string, PodState])[] = [];
  const change = () => {
    const n = changes++;
    const flapping = [0, 1, 2].map((i) => states[Math.floor(n / 3 ** i) % 3]);
    const pods = [...world.pods.slice(0, 2).map((pod) => [pod, 'ready'] as const), ...world.pods.slice(2).flatMap((pod, i) => (flapping[i] ? [[pod, flapping[i]] as const] : []))];
    world.cluster.setEndpoints('echo', pods);
    last = pods.map(([pod, state]) => [pod.name, state] as const);
  };
  const storm = setInterval(() => {
    change();
    change();
  }, 2);
  try {
    const flushesBefore = await victim.metric('kube_xds_snapshot_flushes_total');
    await waitFor('the storm to be pushed', async () => changes >= 500 && (await victim.metric('kube_xds_snapshot_flushes_total')) >= flushesBefore + 20, { timeoutMs: 30_000 });

    void victim.signal('SIGTERM');
    const atSignal = changes;
    // Kubelet sends SIGKILL when the grace period ends: exiting later is failing.
    const exit = await victim.exit(gracePeriodMs);
    assert.equal(exit, { code: 0, signal: null }, `${victim.name} exits 0 on SIGTERM: ${victim.describeLog()}`);
    assert.equal(victim.errors(), [], `${victim.name} logged errors`);
    assert.ok(victim.log.some((line) => line.msg === 'stopping' && line.signal === 'SIGTERM'), `${victim.name} logged that it was stopping`);
    const closed = victim.log.filter((line) => line.msg === 'client disconnected' && line.reason === 'shutdown').map((line) => line.node);
    assert.equal(closed.sort(), [...moving].sort(), `${victim.name} closed its streams on shutdown`);

    await waitAllOn(fleet, replicas, survivor);
    // The storm goes on a while on the survivor alone.
    const afterMove = changes;
    const flushesAfterMove = await survivor.metric('kube_xds_snapshot_flushes_total');
    await waitFor('more of the storm to be pushed', async () => changes >= afterMove + 500 && (await survivor.metric('kube_xds_snapshot_flushes_total')) >= flushesAfterMove + 20, { timeoutMs: 30_000 });
    assert.ok(afterMove > atSignal, 'changes kept coming while the replica stopped');
  } finally {
    clearInterval(storm);
  }

  // The last change of the storm is the state every client must end on.
  const ready = last.filter(([, state]) => state === 'ready').map(([name]) => name);
  await fleet.waitSettledOn(ready, fleet.marks());
  const expected = last.map(([name, state]) => ({ ...world.pods.find((pod) => pod.name === name)!, health: state === 'ready' ? 'HEALTHY' as const : 'DRAINING' as const }));
  await fleet.waitToHold(new Map([[fleet.cluster, expected]]), [survivor]);
  assert.equal(fleet.failures(), [], `no call failed (${moving.join(', ')} moved from ${victim.name}; ${changes} changes)`);
  await fleet.stop();
  assert.is(await survivor.nacks(), 0, 'NACKs');
  assert.equal(survivor.errors(), [], `no error logged by ${survivor.name}`);
});

test.run();
