// Malformed requests and misbehaving clients get a clear status or are ignored as the
// protocol says, and never disturb other streams.
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl } from '../../control-plane/types.ts';
import { AdsFixture } from '../support/ads-fixture.ts';
import { clusterName, handBuiltSnapshot, routeName, type HandBuiltService } from '../support/hand-built.ts';
import { envoyNode, grpcNode } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';

const { Cluster: CDS, Endpoint: EDS } = TypeUrl;
const a: HandBuiltService = { target: 'a.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.1', port: 50051 }] };
const probe: HandBuiltService = { target: 'probe:1', endpoints: [] };
const moved: HandBuiltService = { ...a, endpoints: [{ address: '10.0.0.2', port: 50051 }] };

const test = suite<{ ads: AdsFixture }>('bad input', { ads: undefined as unknown as AdsFixture });
test.before.each(async (context) => {
  context.ads = await AdsFixture.start();
  context.ads.set(handBuiltSnapshot([a, probe]));
});
test.after.each(async ({ ads }) => {
  await ads.stop();
});

/** A healthy bystander stream subscribed to a's endpoints. */
async function bystander(ads: AdsFixture) {
  const client = ads.client(grpcNode('bystander'));
  client.request(EDS, [clusterName(a.target)]);
  await client.nextOf(EDS);
  return client;
}

async function assertBystanderStillServed(ads: AdsFixture, client: Awaited<ReturnType<typeof bystander>>) {
  ads.set(handBuiltSnapshot([moved, probe]));
  assert.equal((await client.nextOf(EDS)).names, [clusterName(a.target)]);
}

test('a first request without node ends that stream with INVALID_ARGUMENT', async ({ ads }) => {
  const other = await bystander(ads);
  const client = ads.client(null);
  client.request(CDS, [clusterName(a.target)]);
  const status = await client.ended;
  assert.is(status.code, grpc.status.INVALID_ARGUMENT);
  assert.match(status.details, 'must carry node');
  await assertBystanderStillServed(ads, other);
});

test('bytes that are not a DiscoveryRequest end that stream with a clear status', async ({ ads }) => {
  const other = await bystander(ads);
  const client = ads.client();
  client.sendRaw(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]));
  const status = await client.ended;
  assert.is(status.code, grpc.status.INVALID_ARGUMENT);
  assert.match(status.details, 'malformed DiscoveryRequest');
  await assertBystanderStillServed(ads, other);
});

test('a missing type_url ends the stream; an unknown one is ignored and the stream goes on', async ({ ads }) => {
  const unknown = ads.client();
  unknown.request('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', ['cert']);
  unknown.request(CDS, [clusterName(a.target)]);
  assert.equal((await unknown.nextOf(CDS)).names, [clusterName(a.target)]);
  const [status] = ads.server.streams();
  assert.equal(status!.unknownTypes, ['type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret']);

  const empty = ads.client();
  empty.request('', ['x']);
  const ended = await empty.ended;
  assert.is(ended.code, grpc.status.INVALID_ARGUMENT);
  assert.match(ended.details, 'type_url is required');
});

test('an unknown role in node metadata is refused with the allowed values', async ({ ads }) => {
  const client = ads.client(envoyNode('gw', 'ingress'));
  client.request(CDS, []);
  const status = await client.ended;
  assert.is(status.code, grpc.status.INVALID_ARGUMENT);
  assert.match(status.details, 'gateway, sidecar, proxyless');
});

test('10,000 garbage names (a 5 MB request) are remembered and the real ones still served', async ({ ads }) => {
  const other = await bystander(ads);
  const client = ads.client();
  const garbage = Array.from({ length: 10_000 }, (_, i) => `\u0000${'x'.repeat(500)}-${i}-\uFFFD`);
  client.request(EDS, [...garbage, clusterName(a.target)]);
  assert.equal((await client.nextOf(EDS)).names, [clusterName(a.target)]);
  await client.barrier(routeName(probe.target));
  const eds = ads.server.streams().find((s) => s.nodeId === 'test-client')!.types.find((t) => t.type === EDS)!;
  assert.is(eds.subscribed.length, 10_001);
  await assertBystanderStillServed(ads, other);
});

test('a client that disappears mid-stream is forgotten and others keep getting pushes', async ({ ads }) => {
  const other = await bystander(ads);
  const leaving = ads.client(grpcNode('leaving'));
  leaving.request(EDS, [clusterName(a.target)]);
  await leaving.nextOf(EDS);
  leaving.close();
  await waitFor('the server to forget the stream', () => ads.server.streams().every((s) => s.nodeId !== 'leaving'));
  await assertBystanderStillServed(ads, other);
});

test('a client that stops reading is cut off with RESOURCE_EXHAUSTED; others are not held back', async () => {
  const ads = await AdsFixture.start({ maxPendingResponseBytes: 1024 * 1024 });
  const many = (base: number) => ({
    ...a,
    endpoints: Array.from({ length: 3_000 }, (_, i) => ({ address: `10.${base % 250}.${i >> 8}.${i & 255}`, port: 50051 })),
  });
  try {
    ads.set(handBuiltSnapshot([many(0), probe]));
    const other = await bystander(ads);
    const stuck = ads.client(grpcNode('stuck'));
    stuck.request(EDS, [clusterName(a.target)]);
    await stuck.nextOf(EDS);
    stuck.pause();
    for (let push = 1; push <= 500 && ads.server.streams().some((s) => s.nodeId === 'stuck'); push++) {
      ads.set(handBuiltSnapshot([many(push), probe]));
      await other.nextOf(EDS);
    }
    assert.not.ok(ads.server.streams().some((s) => s.nodeId === 'stuck'), 'the stuck stream was closed');
    stuck.resume();
    const status = await stuck.ended;
    assert.is(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.details, 'not reading its responses');
  } finally {
    await ads.stop();
  }
});

test.run();
