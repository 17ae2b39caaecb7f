// Drill: a burst of 10,000 EndpointSlice changes within a second at the API server, over 101
// Services, while every client calls the one whose pods 1 and 2 stay ready throughout. The
// control plane takes in every change but coalesces them into far fewer snapshot flushes, its
// memory stays bounded, no call fails, and every client ends holding exactly the last state:
// each Envoy every Service's endpoints, each proxyless client its Service's.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Pod, PodState } from '../e2e/support.ts';
import type { Endpoint } from '../support/drill-fleet.ts';
import { sleep } from '../support/wait.ts';
import { addReplica, newFleet, startBackends, startCluster, stopAll, type World } from './world.ts';

const test = suite<World>('drill: a burst of endpoint changes', {} as World);

test.before(startBackends);
test.after(async ({ backends }) => backends?.stop());
test.before.each(startCluster);
test.after.each(stopAll);

const burst = 10_000;
/** Applied in this many equal batches, one every 1 s / batches. */
const batches = 100;
/** Services beside `echo` whose endpoints (addresses no one calls) change in the burst. */
const others = 100;
/**
 * The most the control plane's resident memory may grow over what it held before the burst,
 * at its peak (VmHWM): generous, nearly four times what the burst was measured to take here
 * (about 35 MiB; the README: 98 MB idle, 386 MB with 10,000 Services), so that only a leak
 * or an unbounded queue crosses it.
 */
const memoryLimitMiB = 128;

test(`${burst} endpoint changes in a second: coalesced, memory bounded, the last state at every client, no call failed`, async (world) => {
  const { cluster } = world;
  const servicePort = { name: 'grpc', port: world.port, appProtocol: 'grpc' };
  const names = Array.from({ length: others }, (_, i) => `bulk-${String(i).padStart(3, '0')}`);
  /** Service i's endpoints in change n: 1-8 made-up pods on 10.i.n.x, ready or draining. */
  const bulkPods = (service: number, n: number): Array<readonly [Pod, PodState]> =>
    Array.from({ length: 1 + (n % 8) }, (_, x) => [{ name: `${names[service]}-${x}`, address: `10.${service}.${n % 250}.${x + 1}`, port: world.port }, (n + x) % 5 === 0 ? 'draining' : 'ready'] as const);
  /** echo's endpoints in change n: pods 1 and 2 ready, pods 3-5 each ready, draining or absent. */
  const states: readonly (PodState | undefined)[] = ['ready', 'draining', undefined];
  const echoPods = (n: number): Array<readonly [Pod, PodState]> => [
    ...world.pods.slice(0, 2).map((pod) => [pod, 'ready'] as const),
    ...world.pods.slice(2).flatMap((pod, i) => {
      const state = states[Math.floor(n / 3 ** i) % 3];
      return state ? [[pod, state] as const] : [];
    }),
  ];

  cluster.setPods(['ready', 'ready', 'ready']);
  names.forEach((name, i) => {
    cluster.applyService(name, [servicePort]);
    cluster.setEndpoints(name, bulkPods(i, 0));
  });
  const replica = await addReplica(world);
  await replica.start();
  const fleet = newFleet(world, replica.xdsAddress);
  await fleet.start();
  await fleet.waitSettledOn(['pod-1', 'pod-2', 'pod-3']);

  // Change k goes to Service k % 101 (echo is 100): each gets about 99 changes.
  const final = new Map<string, Array<readonly [Pod, PodState]>>();
  const slices = Array.from({ length: burst }, (_, k) => {
    const service = k % (others + 1);
    const n = Math.floor(k / (others + 1)) + 1;
    const pods = service === others ? echoPods(n) : bulkPods(service, n);
    const name = service === others ? 'echo' : names[service]!;
    final.set(name, pods);
    return cluster.sliceObject(name, pods);
  });
  const events = () => replica.metric('kube_xds_kubernetes_events_total', 'kind="EndpointSlice",type="MODIFIED"', 0);
  const [eventsBefore, flushesBefore, memoryBefore] = [await events(), await replica.metric('kube_xds_snapshot_flushes_total'), replica.memory()];
  const failuresBefore = fleet.failureCounts();

  for (let batch = 0; batch < batches; batch++) {
    if (batch > 0) await sleep(1_000 / batches);
    const size = burst / batches;
    cluster.api.applyAll('endpointslices', slices.slice(batch * size, (batch + 1) * size));
  }

  // Draining endpoints are sent as DRAINING, or as HEALTHY when none is ready (kube-proxy's rule).
  const endpointsOf = (pods: ReadonlyArray<readonly [Pod, PodState]>): Endpoint[] => {
    const anyReady = pods.some(([, state]) => state === 'ready');
    return pods.map(([pod, state]) => ({ address: pod.address, port: pod.port, health: state === 'ready' || !anyReady ? 'HEALTHY' : 'DRAINING' }));
  };
  const expected = new Map([...final].map(([name, pods]) => [`outbound|${world.port}||${name}.demo.svc.cluster.local`, endpointsOf(pods)]));
  await fleet.waitToHold(expected, [replica], 60_000);
  const ready = final.get('echo')!.filter(([, state]) => state === 'ready').map(([pod]) => pod.name);
  await fleet.waitSettledOn(ready, fleet.marks());

  const memoryAfter = replica.memory();
  const flushes = (await replica.metric('kube_xds_snapshot_flushes_total')) - flushesBefore;
  assert.is((await events()) - eventsBefore, burst, 'the source took in every change');
  assert.ok(flushes <= burst / 20, `${burst} changes were applied in ${flushes} flushes: not coalesced`);
  const growthMiB = (memoryAfter.peakKiB - memoryBefore.rssKiB) / 1_024;
  assert.ok(growthMiB <= memoryLimitMiB, `resident memory peaked ${growthMiB.toFixed(0)} MiB over the ${(memoryBefore.rssKiB / 1_024).toFixed(0)} MiB before the burst (limit ${memoryLimitMiB} MiB)`);
  assert.equal(fleet.failures(failuresBefore), [], 'no call failed during the burst');
  assert.equal(fleet.failures(), [], 'no call failed');
  await fleet.stop();
  assert.is(await replica.nacks(), 0, 'NACKs');
  assert.equal(replica.errors(), [], 'no error logged');
});

test.run();
