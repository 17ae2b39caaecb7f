// One test per xDS rule of docs/design.md §3, each on a real grpc-js stream with a raw client.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import { AdsFixture } from '../support/ads-fixture.ts';
import { cluster, clusterName, handBuiltSnapshot, listener, loadAssignment, route, routeName, type HandBuiltService } from '../support/hand-built.ts';
import { envoyNode } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';

const { ClusterLoadAssignment } = envoy.config.endpoint.v3;
const { Cluster: CDS, Endpoint: EDS, Listener: LDS, Route: RDS } = TypeUrl;

const a: HandBuiltService = { target: 'a.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.1', port: 50051 }] };
const b: HandBuiltService = { target: 'b.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.2', port: 50051 }] };
const probe: HandBuiltService = { target: 'probe:1', endpoints: [] };
const base = [a, b, probe];

const test = suite<{ ads: AdsFixture }>('ads protocol', { ads: undefined as unknown as AdsFixture });
test.before.each(async (context) => {
  context.ads = await AdsFixture.start();
});
test.after.each(async ({ ads }) => {
  await ads.stop();
});

test('LDS and CDS are held until the first snapshot exists, then answered in full', async ({ ads }) => {
  const client = ads.client(envoyNode('gw-1', 'gateway'));
  client.request(CDS, []);
  client.request(LDS, []);
  await waitFor('both requests to reach the server', () => ads.server.streams()[0]?.types.length === 2);
  assert.is(client.pending(), 0);
  ads.set(handBuiltSnapshot(base), 'gateway');
  const cds = await client.nextOf(CDS);
  assert.equal(cds.names, [clusterName(a.target), clusterName(b.target), clusterName(probe.target)]);
  const lds = await client.nextOf(LDS);
  assert.equal(lds.names, [a.target, b.target, probe.target]);
});

test('an ACK (same names, latest nonce, no error) gets nothing back', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(CDS, [clusterName(a.target)]);
  await client.nextOf(CDS);
  client.request(CDS, [clusterName(a.target)]);
  await client.barrier(routeName(probe.target));
  const stream = ads.server.streams()[0]!;
  assert.is(stream.types.find((t) => t.type === CDS)?.ackedVersion, stream.types.find((t) => t.type === CDS)?.lastVersionSent);
});

test('a NACK is recorded and the rejected version is not resent until content changes', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(EDS, [clusterName(a.target)]);
  const first = await client.nextOf(EDS);
  client.request(EDS, [clusterName(a.target)], { error: 'bad weight' });
  await client.barrier(routeName(probe.target));
  const eds = ads.server.streams()[0]!.types.find((t) => t.type === EDS)!;
  assert.is(eds.lastNack?.message, 'bad weight');
  assert.is(eds.lastNack?.version, first.version);

  const moved = { ...a, endpoints: [{ address: '10.0.0.9', port: 50051 }] };
  ads.set(handBuiltSnapshot([moved, b, probe]));
  const next = await client.nextOf(EDS);
  assert.equal(next.names, [clusterName(a.target)]);
  assert.is.not(next.version, first.version);
});

test('a request with a stale nonce is ignored, even when its names changed', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(EDS, [clusterName(a.target)]);
  const first = await client.nextOf(EDS);
  client.request(EDS, [clusterName(a.target), clusterName(b.target)]);
  await client.nextOf(EDS);
  client.request(EDS, [clusterName(a.target), clusterName(b.target), 'c'], { nonce: first.nonce });
  await client.barrier(routeName(probe.target));
  const stream = ads.server.streams()[0]!;
  assert.is(stream.staleRequests, 1);
  assert.equal(stream.types.find((t) => t.type === EDS)?.subscribed, [clusterName(a.target), clusterName(b.target)]);
});

test('resubscribing to a resource sends it again although it did not change', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(EDS, [clusterName(a.target)]);
  await client.nextOf(EDS);
  client.request(EDS, []);
  client.request(EDS, [clusterName(a.target)]);
  const again = await client.nextOf(EDS);
  assert.equal(again.names, [clusterName(a.target)]);
});

test('newly named resources are sent even when others are already held', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(EDS, [clusterName(a.target)]);
  await client.nextOf(EDS);
  client.request(EDS, [clusterName(a.target), clusterName(b.target)]);
  const added = await client.nextOf(EDS);
  assert.equal(added.names, [clusterName(b.target)], 'EDS may carry only what the client lacks');
});

test('wildcard: an empty list before any name means all; * beside names; empty after naming means none', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.client(envoyNode('gw', 'gateway'));
  client.request(CDS, []);
  assert.is((await client.nextOf(CDS)).names.length, 3);
  client.request(CDS, ['*', clusterName(a.target)]);
  await client.barrier(routeName(probe.target));
  const withStar = ads.server.streams()[0]!.types.find((t) => t.type === CDS)!;
  assert.ok(withStar.wildcard);
  // Leaving the wildcard for a name the client already holds needs no response.
  client.request(CDS, [clusterName(a.target)]);
  await client.barrier(routeName(probe.target));
  client.request(CDS, []);
  await client.barrier(routeName(probe.target));
  const none = ads.server.streams()[0]!.types.find((t) => t.type === CDS)!;
  assert.not.ok(none.wildcard);
  assert.equal(none.subscribed, []);
  ads.set({ ...handBuiltSnapshot(base), [CDS]: [cluster(a.target, 'other-eds'), cluster(b.target), cluster(probe.target)] }, 'gateway');
  await client.barrier(routeName(probe.target));
});

test('LDS responses carry the full subscribed set; RDS and EDS only what changed', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(LDS, [a.target, b.target]);
  await client.nextOf(LDS);
  client.request(RDS, [routeName(a.target), routeName(b.target)]);
  await client.nextOf(RDS);
  ads.set({ ...handBuiltSnapshot(base), [LDS]: [listener(a.target, 'elsewhere'), listener(b.target), listener(probe.target)], [RDS]: [route(a.target, 'x'), route(b.target), route(probe.target)] });
  const lds = await client.nextOf(LDS);
  assert.equal(lds.names, [a.target, b.target]);
  const rds = await client.nextOf(RDS);
  assert.equal(rds.names, [routeName(a.target)]);
});

test('Envoy: a deleted listener is removed by a full-state response without it', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.client(envoyNode('gw', 'gateway'));
  client.request(LDS, [a.target, b.target]);
  await client.nextOf(LDS);
  ads.set(handBuiltSnapshot([b, probe]), 'gateway');
  assert.equal((await client.nextOf(LDS)).names, [b.target]);
});

test('proxyless: a deleted Service keeps its listener and cluster, its endpoints empty; its return is one EDS push', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(LDS, [a.target, b.target]);
  const lds = await client.nextOf(LDS);
  client.request(CDS, [clusterName(a.target)]);
  const cds = await client.nextOf(CDS);
  client.request(EDS, [clusterName(a.target)]);
  const eds = await client.nextOf(EDS);

  ads.set(handBuiltSnapshot([b, probe]));
  const emptied = await client.nextOf(EDS);
  assert.equal(emptied.names, [clusterName(a.target)]);
  assert.equal(ClusterLoadAssignment.decode(emptied.resources[0]!.value!).endpoints, [], 'no endpoints: calls fail fast');
  client.request(LDS, [a.target, b.target]);
  client.request(CDS, [clusterName(a.target)]);
  client.request(EDS, [clusterName(a.target)]);
  await client.barrier(routeName(probe.target));
  assert.is(client.pending(), 0, 'neither the listener nor the cluster is withdrawn');

  ads.set(handBuiltSnapshot(base));
  const back = await client.nextOf(EDS);
  assert.is(back.version, eds.version, 'the same endpoints as before the deletion');
  await client.barrier(routeName(probe.target));
  assert.is(client.pending(), 0, 'the unchanged listener and cluster are not resent');
  const stream = ads.server.streams()[0]!;
  assert.is(stream.types.find((t) => t.type === LDS)?.lastVersionSent, lds.version);
  assert.is(stream.types.find((t) => t.type === CDS)?.lastVersionSent, cds.version);
});

test('proxyless: a resource dropped from the subscription while deleted is forgotten', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(LDS, [a.target, b.target]);
  await client.nextOf(LDS);
  ads.set(handBuiltSnapshot([b, probe]));
  client.request(LDS, [b.target]);
  await client.barrier(routeName(probe.target));
  client.request(LDS, [a.target, b.target]);
  await client.barrier(routeName(probe.target));
  assert.is(client.pending(), 0, 'a resubscribed, deleted listener is not revived (the client times it out)');
  ads.set(handBuiltSnapshot(base));
  assert.equal((await client.nextOf(LDS)).names.sort(), [a.target, b.target], 'and it is sent when it comes back');
});

test('pushes go CDS, EDS, LDS, RDS; removals come last', async ({ ads }) => {
  const c: HandBuiltService = { target: 'c.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.3', port: 1 }] };
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.client(envoyNode('gw', 'gateway'));
  client.request(CDS, []);
  await client.nextOf(CDS);
  client.request(LDS, []);
  await client.nextOf(LDS);
  client.request(EDS, [a, b, probe].map((s) => clusterName(s.target)));
  await client.nextOf(EDS);
  client.request(RDS, [a, b].map((s) => routeName(s.target)));
  await client.nextOf(RDS);

  // c is added, b is removed, a's endpoints and route change.
  const movedA = { ...a, endpoints: [{ address: '10.0.0.7', port: 50051 }] };
  ads.set({ ...handBuiltSnapshot([movedA, c, probe]), [RDS]: [route(a.target, clusterName(c.target)), route(c.target), route(probe.target)] }, 'gateway');
  const order: string[] = [];
  for (let i = 0; i < 6; i++) {
    const response = await client.next();
    order.push(`${response.type.split('.').pop()}:${response.names.length}`);
    if (i === 0) assert.ok(response.names.includes(clusterName(b.target)), 'the removed cluster stays until routes moved');
  }
  assert.equal(order, ['Cluster:4', 'ClusterLoadAssignment:1', 'Listener:4', 'RouteConfiguration:1', 'Listener:3', 'Cluster:3']);
});

test('after a CDS push that changes a cluster, its unchanged EDS resource is sent again', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.client(envoyNode('gw', 'gateway'));
  client.request(CDS, []);
  await client.nextOf(CDS);
  client.request(EDS, [clusterName(a.target)]);
  const eds = await client.nextOf(EDS);
  const changedCluster = { ...cluster(a.target), connect_timeout: { seconds: 7 } };
  ads.set({ ...handBuiltSnapshot(base), [CDS]: [changedCluster, cluster(b.target), cluster(probe.target)] }, 'gateway');
  assert.equal((await client.nextOf(CDS)).names.length, 3);
  const again = await client.nextOf(EDS);
  assert.equal(again.names, [clusterName(a.target)]);
  assert.is.not(again.nonce, eds.nonce);
  // Envoy's EDS request after the CDS push looks like an ACK: it must not trigger a third copy.
  client.request(CDS, []);
  client.request(EDS, [clusterName(a.target)]);
  await client.barrier(routeName(probe.target));
});

test('an unchanged rebuild pushes nothing', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(CDS, [clusterName(a.target)]);
  await client.nextOf(CDS);
  client.request(CDS, [clusterName(a.target)]);
  ads.set(handBuiltSnapshot(base));
  await client.barrier(routeName(probe.target));
});

test('names requested before they exist get no response, and are pushed when they appear', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  const c: HandBuiltService = { target: 'late.ns.svc.cluster.local:80', endpoints: [{ address: '10.1.1.1', port: 80 }] };
  client.request(LDS, [c.target]);
  client.request(EDS, [clusterName(c.target)]);
  await client.barrier(routeName(probe.target));
  ads.set(handBuiltSnapshot([...base, c]));
  assert.equal((await client.nextOf(EDS)).names, [clusterName(c.target)]);
  assert.equal((await client.nextOf(LDS)).names, [c.target]);
});

test('versions are content hashes: equal after a restart for equal content, different otherwise', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const first = ads.client();
  first.request(CDS, [clusterName(a.target)]);
  const before = await first.nextOf(CDS);

  const restarted = await AdsFixture.start();
  try {
    restarted.set(handBuiltSnapshot(base));
    const again = restarted.client();
    again.request(CDS, [clusterName(a.target)]);
    assert.is((await again.nextOf(CDS)).version, before.version);
    restarted.set({ ...handBuiltSnapshot(base), [CDS]: [cluster(a.target, 'changed'), cluster(b.target), cluster(probe.target)] });
    assert.is.not((await again.nextOf(CDS)).version, before.version);
  } finally {
    await restarted.stop();
  }
});

test('each class gets its own snapshot', async ({ ads }) => {
  ads.set(handBuiltSnapshot([a, probe]), 'proxyless');
  ads.set(handBuiltSnapshot([b, probe]), 'gateway');
  ads.set(handBuiltSnapshot([probe]), 'sidecar');
  const proxyless = ads.client();
  const gateway = ads.client(envoyNode('gw', 'gateway'));
  const sidecar = ads.client(envoyNode('sc', 'sidecar'));
  const plainEnvoy = ads.client(envoyNode('plain'));
  for (const client of [gateway, sidecar, plainEnvoy]) client.request(CDS, []);
  proxyless.request(CDS, [clusterName(a.target), clusterName(b.target)]);
  assert.equal((await proxyless.nextOf(CDS)).names, [clusterName(a.target)]);
  assert.equal((await gateway.nextOf(CDS)).names, [clusterName(b.target), clusterName(probe.target)]);
  assert.equal((await sidecar.nextOf(CDS)).names, [clusterName(probe.target)]);
  assert.equal((await plainEnvoy.nextOf(CDS)).names, [clusterName(b.target), clusterName(probe.target)], 'Envoy without a role is a gateway');
  const classes = ads.server.streams().map((s) => s.nodeClass).sort();
  assert.equal(classes, ['gateway', 'gateway', 'proxyless', 'sidecar']);
});

test('a change published for one class never reaches the streams of another, once they hold their config', async ({ ads }) => {
  ads.set(handBuiltSnapshot([a, probe]), 'gateway');
  ads.set(handBuiltSnapshot([a, probe]), 'sidecar');
  const gateway = ads.client(envoyNode('gw', 'gateway'));
  const sidecar = ads.client(envoyNode('sc', 'sidecar'));
  for (const client of [gateway, sidecar]) {
    client.request(CDS, []);
    await client.nextOf(CDS);
    client.request(EDS, [clusterName(a.target)]);
    await client.nextOf(EDS);
  }
  ads.set(handBuiltSnapshot([{ ...a, endpoints: [{ address: '10.9.9.9', port: 1 }] }, b, probe]), 'gateway');
  assert.equal((await gateway.nextOf(CDS)).names.sort(), [clusterName(a.target), clusterName(b.target), clusterName(probe.target)].sort());
  assert.equal((await gateway.nextOf(EDS)).names, [clusterName(a.target)]);
  sidecar.request(RDS, [routeName(probe.target)]);
  await sidecar.nextOf(RDS);
  assert.is(sidecar.pending(), 0, 'the sidecar got nothing of the gateway change');
});

test('identical resources in several classes share one encoding', async ({ ads }) => {
  const proxyless = ads.set(handBuiltSnapshot(base), 'proxyless');
  const gateway = ads.set(handBuiltSnapshot(base), 'gateway');
  const name = clusterName(a.target);
  assert.ok(proxyless.resources(EDS).get(name)!.any === gateway.resources(EDS).get(name)!.any);
});

test('the stream status shows node, user agent, client features, subscriptions, versions and NACKs', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base));
  const client = ads.client();
  client.request(CDS, [clusterName(a.target)]);
  const cds = await client.nextOf(CDS);
  assert.is(cds.controlPlane, 'kube-xds');
  client.request(CDS, [clusterName(a.target)], { error: 'nope' });
  await client.barrier(routeName(probe.target));
  const [status] = ads.server.streams();
  assert.is(status!.nodeId, 'test-client');
  assert.is(status!.userAgent, 'gRPC Node/1.14.1');
  assert.equal(status!.clientFeatures, ['envoy.lb.does_not_support_overprovisioning']);
  assert.is(status!.nodeClass, 'proxyless');
  const cdsStatus = status!.types.find((t) => t.type === CDS)!;
  assert.equal(cdsStatus.subscribed, [clusterName(a.target)]);
  assert.is(cdsStatus.lastVersionSent, cds.version);
  assert.is(cdsStatus.lastNack?.message, 'nope');
  assert.is(cdsStatus.nacks, 1);
  assert.equal(ads.observed.nacks.map((nack) => [nack.type, nack.message]), [[CDS, 'nope']], 'reported to the observer');
});

test.run();
