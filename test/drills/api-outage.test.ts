// Drill: the API server goes down for minutes while every client stays connected and calls.
// Meanwhile the control plane serves the last good configuration (and says so: ready, source
// not connected), no stream is dropped, no call fails. The cluster changes during the
// outage (pods replaced, a Service deleted, another created) and etcd compacts, so the watch
// cannot resume: on recovery the relist must deliver all of it, deletions included, and
// every client ends holding exactly what the API server holds.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultBackoff } from '../../k8s/backoff.ts';
import type { Endpoint } from '../support/drill-fleet.ts';
import { sleep, waitFor } from '../support/wait.ts';
import { addReplica, envMs, newFleet, startBackends, startCluster, stopAll, type World } from './world.ts';

/**
 * The outage (KUBE_XDS_DRILL_OUTAGE_MS; a full run sets 180000). Default 45 s: the source's
 * retries back off from 100 ms doubling to a 10 s cap, each delay drawn between half and all
 * of its step (k8s/backoff.ts), so they reach the cap after 6.4-12.7 s; 45 s then holds
 * three to six retries at the cap, each refused. (A refused connection fails at once, so
 * the 30 s after which a silent watch is re-opened, kube-source's watchIdleMs, never runs out
 * here; the outage outlasts it all the same, and gRPC clients' 15 s does-not-exist timers.
 * The backoff's 60 s reset needs a quiet spell; retries every 10 s at most never give one.)
 */
const outageMs = envMs('KUBE_XDS_DRILL_OUTAGE_MS', 45_000);

const test = suite<World>('drill: API server down while clients stay connected', {} as World);

test.before(startBackends);
test.after(async ({ backends }) => backends?.stop());
test.before.each(startCluster);
test.after.each(stopAll);

test(`down for ${outageMs / 1_000} s: the last good configuration is served, no stream dropped, no call failed; the relist delivers every change`, async (world) => {
  assert.ok(outageMs > 2 * defaultBackoff.maxMs, `KUBE_XDS_DRILL_OUTAGE_MS=${outageMs} is too short to reach the ${defaultBackoff.maxMs} ms backoff cap more than once`);
  const { cluster, pods } = world;
  const servicePort = { name: 'grpc', port: world.port, appProtocol: 'grpc' };
  const clusterOf = (service: string) => `outbound|${world.port}||${service}.demo.svc.cluster.local`;
  const podsNamed = (...names: string[]) => names.map((name) => pods.find((pod) => pod.name === name)!);

  cluster.setPods(['ready', 'ready', 'ready']);
  cluster.applyService('old', [servicePort]);
  cluster.setEndpoints('old', [[podsNamed('pod-5')[0]!, 'ready']]);
  const replica = await addReplica(world);
  await replica.start();
  const fleet = newFleet(world, replica.xdsAddress);
  await fleet.start();
  await fleet.waitSettledOn(['pod-1', 'pod-2', 'pod-3']);
  const before = new Map<string, Endpoint[]>([[fleet.cluster, podsNamed('pod-1', 'pod-2', 'pod-3')], [clusterOf('old'), podsNamed('pod-5')]]);
  await fleet.waitToHold(before, [replica]);
  const streams = await fleet.streamsByNode([replica]);
  for (const [node, ids] of streams) assert.is(ids.length, 1, `${node} has one stream: ${ids.join(', ')}`);
  const relists = await replica.metric('kube_xds_relists_total');
  assert.is(await replica.metric('kube_xds_source_connected'), 1, 'the source is connected before the outage');

  await cluster.api.goDown();
  // The cluster moves on meanwhile: echo's pods 1 and 3 replaced by 4 and 5, Service `old`
  // deleted, Service `new` created; then etcd compacts, so the old resourceVersion is gone.
  cluster.setEndpoints('echo', podsNamed('pod-2', 'pod-4', 'pod-5').map((pod) => [pod, 'ready'] as const));
  cluster.deleteService('old');
  cluster.applyService('new', [servicePort]);
  cluster.setEndpoints('new', [[podsNamed('pod-1')[0]!, 'ready']]);
  cluster.api.compact();

  await waitFor('the source to report the outage', async () => (await replica.metric('kube_xds_source_connected')) === 0);
  const restartsAtStart = await replica.metric('kube_xds_source_restarts_total');
  const until = Date.now() + outageMs;
  while (Date.now() < until) {
    // The README: /readyz is 200 once the initial sync is done, and the last state is served
    // during an outage; kube_xds_source_connected is 0 meanwhile.
    assert.is(await replica.status('/readyz'), 200, '/readyz during the outage');
    assert.is(await replica.status('/healthz'), 200, '/healthz during the outage');
    assert.is(await replica.metric('kube_xds_source_connected'), 0, 'kube_xds_source_connected during the outage');
    assert.equal(fleet.failures(), [], 'no call failed during the outage');
    assert.equal(await fleet.streamsByNode([replica]), streams, 'every client kept its one stream');
    await sleep(1_000);
  }
  const restarts = (await replica.metric('kube_xds_source_restarts_total')) - restartsAtStart;
  assert.ok(restarts >= 4, `the source retried ${restarts} times during the outage`);
  // Everything the clients held before, they hold still, and call on.
  await fleet.waitSettledOn(['pod-1', 'pod-2', 'pod-3'], fleet.marks());
  await fleet.waitToHold(before, [replica]);

  const marks = fleet.marks();
  await cluster.api.comeUp();
  await waitFor('the source to reconnect', async () => (await replica.metric('kube_xds_source_connected')) === 1, { timeoutMs: 30_000 });
  // A watch resumed at a compacted resourceVersion opens before its 410 arrives: the source
  // reads as connected a moment before the relist that follows.
  await waitFor('both kinds to be listed again (the old resourceVersion was compacted)', async () => (await replica.metric('kube_xds_relists_total')) >= relists + 2, { timeoutMs: 30_000 });
  await fleet.waitSettledOn(['pod-2', 'pod-4', 'pod-5'], marks);
  await fleet.waitToHold(new Map([[fleet.cluster, podsNamed('pod-2', 'pod-4', 'pod-5')], [clusterOf('new'), podsNamed('pod-1')]]), [replica]);
  assert.equal(await fleet.streamsByNode([replica]), streams, 'every client kept its one stream through the recovery');
  assert.equal(fleet.failures(), [], 'no call failed');
  await fleet.stop();
  assert.is(await replica.nacks(), 0, 'NACKs');
  assert.equal(replica.errors(), [], 'no error logged');
});

test.run();
