// Each limit ends only the stream that goes over it, with RESOURCE_EXHAUSTED and a message
// naming the flag, and is counted; the other streams go on being served.
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { AdsServerOptions } from '../../control-plane/ads-server.ts';
import { RequestRate } from '../../control-plane/limits.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { AdsFixture } from '../support/ads-fixture.ts';
import { clusterName, handBuiltSnapshot, type HandBuiltService } from '../support/hand-built.ts';
import { grpcNode, type RawAdsClient } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';

const { Cluster: CDS, Endpoint: EDS } = TypeUrl;
const a: HandBuiltService = { target: 'a.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.1', port: 50051 }] };
const moved: HandBuiltService = { ...a, endpoints: [{ address: '10.0.0.2', port: 50051 }] };

const test = suite<{ ads: AdsFixture }>('limits', { ads: undefined as unknown as AdsFixture });
test.after.each(async ({ ads }) => {
  await ads?.stop();
});

async function start(context: { ads: AdsFixture }, options: Partial<AdsServerOptions>): Promise<AdsFixture> {
  context.ads = await AdsFixture.start(options);
  context.ads.set(handBuiltSnapshot([a]));
  return context.ads;
}

/** A healthy stream subscribed to a's endpoints, already answered. */
async function served(ads: AdsFixture, id: string): Promise<RawAdsClient> {
  const client = ads.client(grpcNode(id));
  client.request(EDS, [clusterName(a.target)]);
  await client.nextOf(EDS);
  return client;
}

async function assertStillServed(ads: AdsFixture, clients: readonly RawAdsClient[]): Promise<void> {
  ads.set(handBuiltSnapshot([moved]));
  for (const client of clients) assert.equal((await client.nextOf(EDS)).names, [clusterName(a.target)]);
}

async function assertExhausted(client: { ended: Promise<grpc.StatusObject> }, flag: string): Promise<void> {
  const status = await client.ended;
  assert.is(status.code, grpc.status.RESOURCE_EXHAUSTED, status.details);
  assert.match(status.details, flag);
}

test('a stream beyond --max-streams is refused; the open ones are served', async (context) => {
  const ads = await start(context, { maxStreams: 2 });
  const open = [await served(ads, 'one'), await served(ads, 'two')];
  const third = ads.client(grpcNode('three'));
  third.request(EDS, [clusterName(a.target)]);
  await assertExhausted(third, '--max-streams');
  assert.equal(ads.observed.limits, ['streams']);
  await assertStillServed(ads, open);
  // A slot freed is a slot for the next client.
  open[0]!.close();
  await waitFor('the closed stream to be forgotten', () => ads.server.streams().length === 1);
  await served(ads, 'four');
});

test('a stream beyond --max-streams-per-connection on one connection is refused', async (context) => {
  // Clients of one process share a connection to the same address (grpc-js pools it).
  const ads = await start(context, { maxStreamsPerConnection: 2 });
  const open = [await served(ads, 'one'), await served(ads, 'two')];
  const third = ads.client(grpcNode('three'));
  third.request(EDS, [clusterName(a.target)]);
  await assertExhausted(third, '--max-streams-per-connection');
  assert.equal(ads.observed.limits, ['streams-per-connection']);
  await assertStillServed(ads, open);
});

test('a request naming more than --max-names-per-request ends its stream', async (context) => {
  const ads = await start(context, { maxNamesPerRequest: 100 });
  const other = await served(ads, 'other');
  const greedy = ads.client(grpcNode('greedy'));
  greedy.request(EDS, Array.from({ length: 101 }, (_, i) => `name-${i}`));
  await assertExhausted(greedy, '--max-names-per-request');
  assert.equal(ads.observed.limits, ['names-per-request']);
  assert.ok(ads.observed.closed.includes('over-limit'));
  await assertStillServed(ads, [other]);
});

test('a delta stream subscribing beyond --max-names-per-stream, request by request, is ended', async (context) => {
  const ads = await start(context, { maxNamesPerStream: 150 });
  const other = await served(ads, 'other');
  const delta = ads.deltaClient(grpcNode('greedy-delta'));
  delta.request(CDS, { subscribe: Array.from({ length: 100 }, (_, i) => `cluster-${i}`) });
  await delta.nextOf(CDS);
  delta.request(EDS, { subscribe: Array.from({ length: 60 }, (_, i) => `endpoints-${i}`) });
  await assertExhausted(delta, '--max-names-per-stream');
  assert.equal(ads.observed.limits, ['names-per-stream']);
  await assertStillServed(ads, [other]);
});

test('a request larger than --max-request-bytes is refused by the transport, and counted', async (context) => {
  const ads = await start(context, { maxRequestBytes: 10_000 });
  const other = await served(ads, 'other');
  const big = ads.client(grpcNode('big'));
  big.request(EDS, ['x'.repeat(20_000)]);
  await assertExhausted(big, 'larger than max');
  assert.equal(ads.observed.limits, ['request-bytes']);
  await assertStillServed(ads, [other]);
});

test('a stream sending faster than --max-requests-per-second beyond its burst is ended', async (context) => {
  const ads = await start(context, { requestsPerSecond: 1, requestBurst: 20 });
  const other = await served(ads, 'other');
  const chatty = ads.client(grpcNode('chatty'));
  for (let i = 0; i < 50; i++) chatty.request(EDS, [clusterName(a.target)]);
  await assertExhausted(chatty, '--max-requests-per-second');
  assert.equal(ads.observed.limits, ['request-rate']);
  await assertStillServed(ads, [other]);
});

test('the request rate: a burst is allowed, then the sustained rate refills it', () => {
  const rate = new RequestRate(1_000_000, 3);
  const taken = [rate.take(), rate.take(), rate.take()];
  assert.equal(taken, [true, true, true]);
  const slow = new RequestRate(0.001, 2);
  assert.equal([slow.take(), slow.take(), slow.take()], [true, true, false]);
});

test.run();
