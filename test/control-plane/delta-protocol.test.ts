// One test per rule of incremental (delta) xDS over ADS, after the worked examples of Envoy's
// xDS protocol document ("Incremental xDS"), each on a real grpc-js stream with a raw client.
// Delta clients are Envoy in practice, so the streams here are Envoy gateways unless a rule
// is about another client. Silence is proven with barriers, never with timers.
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl, typeShortName } from '../../control-plane/types.ts';
import { google } from '../../generated/envoy.js';
import { AdsFixture } from '../support/ads-fixture.ts';
import { cluster, clusterName, handBuiltSnapshot, route, routeName, type HandBuiltService } from '../support/hand-built.ts';
import { envoyNode, grpcNode, nameOf } from '../support/raw-ads-client.ts';
import { describeResponse, type DeltaResponse, type RawDeltaClient } from '../support/raw-delta-client.ts';
import { waitFor } from '../support/wait.ts';

const { Cluster: CDS, Endpoint: EDS, Listener: LDS, Route: RDS } = TypeUrl;

const a: HandBuiltService = { target: 'a.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.1', port: 50051 }] };
const b: HandBuiltService = { target: 'b.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.2', port: 50051 }] };
const probe: HandBuiltService = { target: 'probe:1', endpoints: [] };
const late: HandBuiltService = { target: 'late.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.4', port: 50051 }] };
const base = [a, b, probe];
/** The RDS name every barrier subscribes to (and unsubscribes again); no test subscribes to it otherwise. */
const probeRoute = routeName(probe.target);

const movedTo = (service: HandBuiltService, port: number): HandBuiltService => ({ ...service, endpoints: [{ address: '10.0.0.9', port }] });
const slowCluster = (service: HandBuiltService) => ({ ...cluster(service.target), connect_timeout: { seconds: 7 } });
const gateway = (id: string) => envoyNode(id, 'gateway');

const test = suite<{ ads: AdsFixture }>('delta ads protocol', { ads: undefined as unknown as AdsFixture });
test.before.each(async (context) => {
  context.ads = await AdsFixture.start();
});
test.after.each(async ({ ads }) => {
  await ads.stop();
});

type Want = Partial<Record<TypeUrl, { sent?: readonly string[]; removed?: readonly string[] }>>;

function entriesOf(response: DeltaResponse): string[] {
  const type = typeShortName[response.type as TypeUrl] ?? response.type;
  return [...response.resources.map((r) => `${type} sent ${r.name}`), ...response.removed.map((name) => `${type} removed ${name}`)];
}

/**
 * Reads responses, ACKing each as Envoy does, until everything in `want` has arrived; then
 * requires that exactly that arrived, each name once (however the server grouped it into
 * responses). Returns the responses in arrival order.
 */
async function receive(client: RawDeltaClient, want: Want, maxResponses = 50): Promise<DeltaResponse[]> {
  const wanted: string[] = [];
  for (const [type, { sent = [], removed = [] } = {}] of Object.entries(want) as Array<[TypeUrl, Want[TypeUrl]]>) {
    const short = typeShortName[type];
    wanted.push(...sent.map((name) => `${short} sent ${name}`), ...removed.map((name) => `${short} removed ${name}`));
  }
  const missing = new Set(wanted);
  const responses: DeltaResponse[] = [];
  const got: string[] = [];
  while (missing.size > 0 && responses.length < maxResponses) {
    const response = await client.next();
    assert.ok(response.nonce, `every response carries a nonce (${describeResponse(response)})`);
    assert.not.ok(responses.some((r) => r.nonce === response.nonce), 'nonces are not reused');
    client.ack(response);
    responses.push(response);
    for (const entry of entriesOf(response)) {
      got.push(entry);
      missing.delete(entry);
    }
  }
  assert.equal(got.sort(), wanted.sort(), `responses: ${responses.map(describeResponse).join('; ')}`);
  return responses;
}

const names = (response: DeltaResponse) => response.resources.map((r) => r.name);

function typeStatus(ads: AdsFixture, nodeId: string, type: TypeUrl) {
  const stream = ads.server.streams().find((s) => s.nodeId === nodeId);
  assert.ok(stream, `a stream of node ${nodeId}`);
  const status = stream.types.find((t) => t.type === type);
  assert.ok(status, `${typeShortName[type]} status of node ${nodeId}`);
  return status;
}

test('subscribing by name sends each resource with its content hash as version; a missing name is removed, then pushed when it appears', async ({ ads }) => {
  const snapshot = ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.deltaClient(gateway('gw'));
  client.request(EDS, { subscribe: [clusterName(a.target), clusterName(b.target), clusterName(late.target)] });
  const responses = await receive(client, { [EDS]: { sent: [clusterName(a.target), clusterName(b.target)], removed: [clusterName(late.target)] } });
  const sent = responses.flatMap((r) => r.resources);
  for (const resource of sent) {
    assert.is(nameOf(resource.any!), resource.name, 'Resource.name is the name of the resource it carries');
    assert.is(resource.version, snapshot.resources(EDS).get(resource.name)!.version, 'each resource has its own version: its content hash');
  }
  const versionOfA = sent.find((r) => r.name === clusterName(a.target))!.version;
  assert.is.not(versionOfA, sent.find((r) => r.name === clusterName(b.target))!.version);
  await client.barrier(probeRoute);

  ads.set(handBuiltSnapshot([...base, late]), 'gateway');
  const appeared = await client.nextOf(EDS);
  assert.equal(names(appeared), [clusterName(late.target)], 'the missing name was remembered');
  assert.equal(appeared.removed, []);
  client.ack(appeared);
  await client.barrier(probeRoute);

  const restarted = await AdsFixture.start();
  try {
    restarted.set(handBuiltSnapshot(base), 'gateway');
    const again = restarted.deltaClient(gateway('gw'));
    again.request(EDS, { subscribe: [clusterName(a.target)] });
    assert.is((await again.nextOf(EDS)).resources[0]?.version, versionOfA, 'equal content, equal version, across restarts');
  } finally {
    await restarted.stop();
  }
});

test('an ACK gets nothing back; a NACK is recorded and the rejected version is not resent; changed content is', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.deltaClient(gateway('gw'));
  client.request(EDS, { subscribe: [clusterName(a.target)] });
  client.ack(await client.nextOf(EDS));
  await client.barrier(probeRoute);
  assert.is(typeStatus(ads, 'gw', EDS).nacks, 0);

  client.request(EDS, { subscribe: [clusterName(b.target)] });
  const rejected = await client.nextOf(EDS);
  assert.equal(names(rejected), [clusterName(b.target)]);
  client.nack(rejected, 'bad weight');
  await client.barrier(probeRoute);
  const eds = typeStatus(ads, 'gw', EDS);
  assert.is(eds.lastNack?.message, 'bad weight');
  assert.is(eds.lastNack?.nonce, rejected.nonce);
  assert.is(eds.nacks, 1);
  assert.equal(ads.observed.nacks.map((nack) => [nack.type, nack.message]), [[EDS, 'bad weight']], 'reported to the observer');

  ads.set(handBuiltSnapshot(base), 'gateway'); // an unchanged rebuild
  await client.barrier(probeRoute);
  ads.set(handBuiltSnapshot([movedTo(a, 1), b, probe]), 'gateway');
  const other = await client.nextOf(EDS);
  assert.equal(names(other), [clusterName(a.target)], 'the rejected b is not resent with another change');
  client.ack(other);
  ads.set(handBuiltSnapshot([movedTo(a, 1), movedTo(b, 2), probe]), 'gateway');
  const changed = await client.nextOf(EDS);
  assert.equal(names(changed), [clusterName(b.target)]);
  assert.is.not(changed.resources[0]!.version, rejected.resources[0]!.version);
  client.ack(changed);
  await client.barrier(probeRoute);
});

test('a subscription change is honoured even when the request carries a stale nonce', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.deltaClient(gateway('gw'));
  client.request(EDS, { subscribe: [clusterName(a.target)] });
  const first = await client.nextOf(EDS);
  client.request(EDS, { subscribe: [clusterName(b.target)] });
  client.ack(await client.nextOf(EDS));

  client.request(EDS, { subscribe: [clusterName(probe.target)], nonce: first.nonce });
  const subscribed = await client.nextOf(EDS);
  assert.equal(names(subscribed), [clusterName(probe.target)]);
  client.ack(subscribed);
  client.request(EDS, { unsubscribe: [clusterName(a.target)], nonce: first.nonce });
  await client.barrier(probeRoute);
  assert.equal(typeStatus(ads, 'gw', EDS).subscribed, [clusterName(b.target), clusterName(probe.target)].sort());
  ads.set(handBuiltSnapshot([movedTo(a, 1), b, probe]), 'gateway');
  await client.barrier(probeRoute);
});

test('subscribing again to a resource the client holds at the latest version sends it again', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.deltaClient(gateway('gw'));
  client.request(EDS, { subscribe: [clusterName(a.target)] });
  const first = await client.nextOf(EDS);
  client.ack(first);
  client.request(EDS, { subscribe: [clusterName(a.target)] });
  const again = await client.nextOf(EDS);
  assert.equal(names(again), [clusterName(a.target)]);
  assert.is(again.resources[0]!.version, first.resources[0]!.version);
  client.ack(again);
  await client.barrier(probeRoute);
});

test('unsubscribing needs no response and stops pushes; subscribing again sends the resource again', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.deltaClient(gateway('gw'));
  client.request(EDS, { subscribe: [clusterName(a.target)] });
  const first = await client.nextOf(EDS);
  client.ack(first);
  client.request(EDS, { unsubscribe: [clusterName(a.target)] });
  await client.barrier(probeRoute);
  ads.set(handBuiltSnapshot([movedTo(a, 1), b, probe]), 'gateway');
  await client.barrier(probeRoute);
  client.request(EDS, { subscribe: [clusterName(a.target)] });
  const again = await client.nextOf(EDS);
  assert.equal(names(again), [clusterName(a.target)]);
  assert.is.not(again.resources[0]!.version, first.resources[0]!.version, 'the current content');
  client.ack(again);
  await client.barrier(probeRoute);
});

test('wildcard: an empty first request from Envoy means all, * works beside names, unsubscribing * keeps the names, and after naming an empty request is not a wildcard', async ({ ads }) => {
  const allClusters = [a, b, probe].map((s) => clusterName(s.target));
  ads.set(handBuiltSnapshot(base), 'gateway');
  const legacy = ads.deltaClient(gateway('legacy'));
  legacy.request(CDS);
  await receive(legacy, { [CDS]: { sent: allClusters } });
  assert.ok(typeStatus(ads, 'legacy', CDS).wildcard);
  ads.set(handBuiltSnapshot([...base, late]), 'gateway');
  await receive(legacy, { [CDS]: { sent: [clusterName(late.target)] } });

  // Naming a resource keeps the legacy wildcard (the protocol document's incremental example)
  // and, as any subscription, gets the resource sent although the client holds it.
  legacy.request(CDS, { subscribe: [clusterName(a.target)] });
  await receive(legacy, { [CDS]: { sent: [clusterName(a.target)] } });
  await legacy.barrier(probeRoute);
  assert.ok(typeStatus(ads, 'legacy', CDS).wildcard);

  // Leaving the wildcard: the server may tell the client to drop what only the wildcard covered.
  legacy.request(CDS, { unsubscribe: ['*'] });
  for (const response of await legacy.drain(probeRoute)) {
    assert.is(response.type, CDS, describeResponse(response));
    assert.equal(response.resources, [], describeResponse(response));
    for (const name of response.removed) assert.ok(name !== clusterName(a.target), `a is still subscribed: ${describeResponse(response)}`);
    legacy.ack(response);
  }
  const named = typeStatus(ads, 'legacy', CDS);
  assert.not.ok(named.wildcard);
  assert.equal(named.subscribed, [clusterName(a.target)]);
  ads.set({ ...handBuiltSnapshot([...base, late]), [CDS]: [slowCluster(a), slowCluster(b), cluster(probe.target), cluster(late.target)] }, 'gateway');
  await receive(legacy, { [CDS]: { sent: [clusterName(a.target)] } });
  await legacy.barrier(probeRoute);

  legacy.request(CDS, { unsubscribe: [clusterName(a.target)] });
  await legacy.barrier(probeRoute);
  legacy.request(CDS);
  await legacy.barrier(probeRoute);
  const none = typeStatus(ads, 'legacy', CDS);
  assert.not.ok(none.wildcard, 'an empty request after naming means none');
  assert.equal(none.subscribed, []);
  ads.set(handBuiltSnapshot(base), 'gateway');
  await legacy.barrier(probeRoute);

  const star = ads.deltaClient(gateway('star'));
  star.request(CDS, { subscribe: ['*', clusterName(a.target)] });
  await receive(star, { [CDS]: { sent: allClusters } });
  assert.ok(typeStatus(ads, 'star', CDS).wildcard);
  await star.barrier(probeRoute);

  // Only Envoy's LDS and CDS have the legacy wildcard: gRPC clients always name resources.
  ads.set(handBuiltSnapshot(base), 'proxyless');
  const proxyless = ads.deltaClient(grpcNode('grpc'));
  proxyless.request(CDS);
  await proxyless.barrier(probeRoute);
  assert.not.ok(typeStatus(ads, 'grpc', CDS).wildcard);
});

test('wildcard plus a name: unsubscribing the name is answered with the resource if the wildcard covers it, else with removed', async ({ ads }) => {
  const ghost = clusterName('ghost.ns.svc.cluster.local:50051');
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.deltaClient(gateway('gw'));
  client.request(CDS, { subscribe: ['*'] });
  await receive(client, { [CDS]: { sent: [a, b, probe].map((s) => clusterName(s.target)) } });
  client.request(CDS, { subscribe: [clusterName(a.target), ghost] });
  await receive(client, { [CDS]: { sent: [clusterName(a.target)], removed: [ghost] } });
  await client.barrier(probeRoute);

  client.request(CDS, { unsubscribe: [clusterName(a.target)] });
  await receive(client, { [CDS]: { sent: [clusterName(a.target)] } });
  await client.barrier(probeRoute);
  client.request(CDS, { unsubscribe: [ghost] });
  await receive(client, { [CDS]: { removed: [ghost] } });
  await client.barrier(probeRoute);
});

test('a resource that leaves the snapshot is sent in removed_resources', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.deltaClient(gateway('gw'));
  client.request(CDS);
  await receive(client, { [CDS]: { sent: base.map((s) => clusterName(s.target)) } });
  client.request(LDS);
  await receive(client, { [LDS]: { sent: base.map((s) => s.target) } });
  client.request(EDS, { subscribe: [clusterName(a.target), clusterName(b.target)] });
  await receive(client, { [EDS]: { sent: [clusterName(a.target), clusterName(b.target)] } });
  client.request(RDS, { subscribe: [routeName(a.target), routeName(b.target)] });
  await receive(client, { [RDS]: { sent: [routeName(a.target), routeName(b.target)] } });

  ads.set(handBuiltSnapshot([a, probe]), 'gateway');
  await receive(client, {
    [CDS]: { removed: [clusterName(b.target)] },
    [EDS]: { removed: [clusterName(b.target)] },
    [LDS]: { removed: [b.target] },
    [RDS]: { removed: [routeName(b.target)] },
  });
  await client.barrier(probeRoute);
});

test('an endpoint change sends one ClusterLoadAssignment, and that response does not grow with the number of other Services', async ({ ads }) => {
  /** The size of the push for one changed endpoint when `count` Services exist and all are subscribed. */
  async function pushFor(count: number, nodeClass: 'gateway' | 'sidecar'): Promise<DeltaResponse> {
    const others = Array.from({ length: count - 2 }, (_, i): HandBuiltService => ({
      target: `svc-${String(i).padStart(4, '0')}.ns.svc.cluster.local:50051`,
      endpoints: [{ address: `10.1.${i >> 8}.${i & 255}`, port: 50051 }],
    }));
    const services = [a, probe, ...others];
    ads.set(handBuiltSnapshot(services), nodeClass);
    const client = ads.deltaClient(envoyNode(`envoy-${count}`, nodeClass));
    client.request(CDS);
    await receive(client, { [CDS]: { sent: services.map((s) => clusterName(s.target)) } });
    client.request(EDS, { subscribe: services.map((s) => clusterName(s.target)) });
    await receive(client, { [EDS]: { sent: services.map((s) => clusterName(s.target)) } });

    ads.set(handBuiltSnapshot([movedTo(a, 1), probe, ...others]), nodeClass);
    const push = await client.nextOf(EDS);
    assert.equal(names(push), [clusterName(a.target)], `${count} Services: only the changed assignment`);
    assert.equal(push.removed, []);
    client.ack(push);
    await client.barrier(probeRoute);
    return push;
  }
  const small = await pushFor(10, 'gateway');
  const large = await pushFor(1_000, 'sidecar');
  assert.ok(Buffer.from(small.resources[0]!.bytes).equals(Buffer.from(large.resources[0]!.bytes)));
  // The nonce and system_version_info are free-form strings whose length may vary (a
  // counter, a version that counts resources); everything else must be the same size.
  const payload = (r: DeltaResponse) => r.size - stringFieldSize(r.nonce) - stringFieldSize(r.systemVersion);
  assert.is(payload(large), payload(small), `push sizes: ${small.size} bytes with 10 Services, ${large.size} with 1,000`);
  assert.ok(Math.abs(large.size - small.size) <= 16, `push sizes: ${small.size} bytes with 10 Services, ${large.size} with 1,000`);
});

test('a client reconnecting with initial_resource_versions gets only what changed, and removals for what is gone', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const endpointNames = base.map((s) => clusterName(s.target));
  const first = ads.deltaClient(gateway('gw'));
  first.request(CDS);
  await receive(first, { [CDS]: { sent: endpointNames } });
  first.request(EDS, { subscribe: endpointNames });
  await receive(first, { [EDS]: { sent: endpointNames } });
  const clusterVersions = first.held(CDS);
  const endpointVersions = first.held(EDS);
  first.close();

  // a's endpoints move, b is deleted, late is added; probe and a's cluster are unchanged.
  ads.set(handBuiltSnapshot([movedTo(a, 1), probe, late]), 'gateway');
  const second = ads.deltaClient(gateway('gw'));
  second.request(CDS, { initialVersions: clusterVersions });
  second.request(EDS, { subscribe: endpointNames, initialVersions: endpointVersions });
  await receive(second, {
    [CDS]: { sent: [clusterName(late.target)], removed: [clusterName(b.target)] },
    [EDS]: { sent: [clusterName(a.target)], removed: [clusterName(b.target)] },
  });
  await second.barrier(probeRoute);
});

test('pushes go make before break: CDS, EDS, LDS, RDS, then removals, listeners before clusters', async ({ ads }) => {
  const c: HandBuiltService = { target: 'c.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.3', port: 1 }] };
  const [ca, cb, cc] = [a, b, c].map((s) => clusterName(s.target)) as [string, string, string];
  const [ra, rb, rc] = [a, b, c].map((s) => routeName(s.target)) as [string, string, string];
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.deltaClient(gateway('gw'));
  client.request(CDS);
  await receive(client, { [CDS]: { sent: base.map((s) => clusterName(s.target)) } });
  client.request(LDS);
  await receive(client, { [LDS]: { sent: base.map((s) => s.target) } });
  client.request(EDS, { subscribe: [ca, cb, clusterName(probe.target), cc] });
  await receive(client, { [EDS]: { sent: [ca, cb, clusterName(probe.target)], removed: [cc] } });
  client.request(RDS, { subscribe: [ra, rb, rc] });
  await receive(client, { [RDS]: { sent: [ra, rb], removed: [rc] } });

  // c is added, b is removed, a's endpoints move and its route now goes to c.
  ads.set({ ...handBuiltSnapshot([movedTo(a, 1), c, probe]), [RDS]: [route(a.target, cc), route(c.target), route(probe.target)] }, 'gateway');
  const responses = await receive(client, {
    [CDS]: { sent: [cc], removed: [cb] },
    [EDS]: { sent: [ca, cc], removed: [cb] },
    [LDS]: { sent: [c.target], removed: [b.target] },
    [RDS]: { sent: [ra, rc], removed: [rb] },
  });
  const order = responses.map(describeResponse).join('; ');
  const sentAt = (type: TypeUrl, name: string) => responses.findIndex((r) => r.type === type && r.resources.some((x) => x.name === name));
  const removedAt = (type: TypeUrl, name: string) => responses.findIndex((r) => r.type === type && r.removed.includes(name));
  assert.ok(sentAt(CDS, cc) < sentAt(EDS, cc), `the cluster before its endpoints: ${order}`);
  assert.ok(sentAt(EDS, cc) < sentAt(LDS, c.target), `endpoints before the listener: ${order}`);
  assert.ok(sentAt(LDS, c.target) < sentAt(RDS, rc), `the listener before its route: ${order}`);
  assert.ok(sentAt(EDS, cc) < sentAt(RDS, ra), `a route moves only to a cluster that is ready: ${order}`);
  const lastMake = Math.max(...responses.flatMap((r, i) => (r.resources.length > 0 ? [i] : [])));
  const firstBreak = Math.min(...responses.flatMap((r, i) => (r.removed.length > 0 ? [i] : [])));
  assert.ok(lastMake < firstBreak, `every addition and change before any removal: ${order}`);
  assert.ok(removedAt(LDS, b.target) < removedAt(CDS, cb), `the listener is removed before its cluster: ${order}`);
  await client.barrier(probeRoute);
});

test('after a CDS response that changes a cluster, its unchanged ClusterLoadAssignment is sent again', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  const client = ads.deltaClient(gateway('gw'));
  client.request(CDS);
  await receive(client, { [CDS]: { sent: base.map((s) => clusterName(s.target)) } });
  client.request(EDS, { subscribe: [clusterName(a.target)] });
  const [eds] = await receive(client, { [EDS]: { sent: [clusterName(a.target)] } });

  ads.set({ ...handBuiltSnapshot(base), [CDS]: [slowCluster(a), cluster(b.target), cluster(probe.target)] }, 'gateway');
  const cds = await client.nextOf(CDS);
  assert.equal(names(cds), [clusterName(a.target)], 'only the changed cluster');
  client.ack(cds);
  const again = await client.nextOf(EDS);
  assert.equal(names(again), [clusterName(a.target)]);
  assert.is(again.resources[0]!.version, eds!.resources[0]!.version, 'the same assignment, sent again');
  client.ack(again);
  await client.barrier(probeRoute);
});

test('nothing is answered before the class has its first snapshot (no empty LDS/CDS, no "does not exist"); then CDS, EDS, LDS', async ({ ads }) => {
  const client = ads.deltaClient(gateway('early'));
  client.request(CDS);
  client.request(LDS);
  client.request(EDS, { subscribe: [clusterName(a.target)] });
  await client.whileOpen(waitFor('the three requests to reach the server', () => ads.server.streams().find((s) => s.nodeId === 'early')?.types.length === 3));
  assert.is(client.pending(), 0);

  ads.set(handBuiltSnapshot(base), 'gateway');
  const cds = await client.nextOf(CDS);
  assert.equal(names(cds).sort(), base.map((s) => clusterName(s.target)).sort());
  assert.equal(cds.removed, []);
  client.ack(cds);
  const eds = await client.nextOf(EDS);
  assert.equal(names(eds), [clusterName(a.target)]);
  assert.equal(eds.removed, []);
  client.ack(eds);
  const lds = await client.nextOf(LDS);
  assert.equal(names(lds).sort(), base.map((s) => s.target).sort());
  client.ack(lds);
  await client.barrier(probeRoute);
});

test('a delta stream receives the same Any bytes as a SotW stream, those the cache holds', async ({ ads }) => {
  const snapshot = ads.set(handBuiltSnapshot(base), 'gateway');
  const endpoints = [clusterName(a.target), clusterName(b.target)];
  const routes = [routeName(a.target), routeName(b.target)];
  const sotw = ads.client(envoyNode('sotw', 'gateway'));
  const sotwAny = new Map<string, Uint8Array>();
  for (const [type, requested] of [[CDS, []], [EDS, endpoints], [LDS, []], [RDS, routes]] as const) {
    sotw.request(type, [...requested]);
    const response = await sotw.nextOf(type);
    // The raw SotW client keeps the decoded Any; re-encoding two fields gives the wire bytes.
    response.resources.forEach((any, i) => sotwAny.set(`${type} ${response.names[i]}`, google.protobuf.Any.encode(any).finish()));
  }

  const delta = ads.deltaClient(gateway('delta'));
  delta.request(CDS);
  delta.request(EDS, { subscribe: endpoints });
  delta.request(LDS);
  delta.request(RDS, { subscribe: routes });
  const responses = await receive(delta, {
    [CDS]: { sent: base.map((s) => clusterName(s.target)) },
    [EDS]: { sent: endpoints },
    [LDS]: { sent: base.map((s) => s.target) },
    [RDS]: { sent: routes },
  });
  for (const response of responses) {
    for (const resource of response.resources) {
      const key = `${response.type} ${resource.name}`;
      const bytes = Buffer.from(resource.bytes);
      assert.ok(bytes.equals(Buffer.from(sotwAny.get(key)!)), `${key}: the bytes a SotW stream got`);
      assert.ok(bytes.equals(Buffer.from(snapshot.resources(response.type as TypeUrl).get(resource.name)!.any)), `${key}: the cache's bytes`);
    }
  }
});

test('a malformed DeltaDiscoveryRequest ends that stream with INVALID_ARGUMENT and leaves other streams alone', async ({ ads }) => {
  ads.set(handBuiltSnapshot(base), 'gateway');
  ads.set(handBuiltSnapshot(base), 'proxyless');
  const deltaBystander = ads.deltaClient(gateway('delta-bystander'));
  deltaBystander.request(EDS, { subscribe: [clusterName(a.target)] });
  deltaBystander.ack(await deltaBystander.nextOf(EDS));
  const sotwBystander = ads.client(grpcNode('sotw-bystander'));
  sotwBystander.request(EDS, [clusterName(a.target)]);
  await sotwBystander.nextOf(EDS);

  const cases: Array<[string, ReturnType<typeof envoyNode> | null, (client: RawDeltaClient) => void]> = [
    ['bytes that are not a DeltaDiscoveryRequest', gateway('garbage'), (client) => client.sendRaw(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]))],
    ['no type_url', gateway('no-type'), (client) => client.request('', { subscribe: [clusterName(a.target)] })],
    ['no node on the first request', null, (client) => client.request(EDS, { subscribe: [clusterName(a.target)] })],
  ];
  let port = 1;
  for (const [what, node, send] of cases) {
    const client = ads.deltaClient(node);
    send(client);
    const status = await client.ended;
    assert.is(status.code, grpc.status.INVALID_ARGUMENT, `${what}: ended with ${status.code} ${grpc.status[status.code]} (${status.details})`);
    assert.ok(status.details, `${what}: a status that says why`);

    port++;
    ads.set(handBuiltSnapshot([movedTo(a, port), b, probe]), 'gateway');
    ads.set(handBuiltSnapshot([movedTo(a, port), b, probe]), 'proxyless');
    const push = await deltaBystander.nextOf(EDS);
    assert.equal(names(push), [clusterName(a.target)], `${what}: the delta bystander is still served`);
    deltaBystander.ack(push);
    assert.equal((await sotwBystander.nextOf(EDS)).names, [clusterName(a.target)], `${what}: the SotW bystander is still served`);
  }
});

/** Bytes a non-empty proto3 string field takes on the wire (tag, length, content); 0 when empty. */
function stringFieldSize(value: string): number {
  const length = Buffer.byteLength(value);
  if (length === 0) return 0;
  let varint = 1;
  for (let rest = length >>> 7; rest > 0; rest >>>= 7) varint++;
  return 1 + varint + length;
}

test.run();
