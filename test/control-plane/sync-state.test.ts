// What each stream reports of its standing per type (SYNCED, STALE, NACKED, NOT_SENT) and
// of the names it asks for that do not exist, on real grpc-js streams with raw clients.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { TypeStatus } from '../../control-plane/stream-status.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { AdsFixture } from '../support/ads-fixture.ts';
import { captureLog } from '../support/capture-log.ts';
import { clusterName, handBuiltSnapshot, routeName, type HandBuiltService } from '../support/hand-built.ts';
import { envoyNode } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';

const { Cluster: CDS, Endpoint: EDS, Listener: LDS } = TypeUrl;
const echo: HandBuiltService = { target: 'echo.demo.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.1', port: 50051 }] };
const other: HandBuiltService = { target: 'other.demo.svc.cluster.local:8080', endpoints: [{ address: '10.0.0.2', port: 8080 }] };
const probe: HandBuiltService = { target: 'probe:1', endpoints: [] };
const services = [echo, other, probe];

const test = suite<{ ads: AdsFixture }>('sync state', { ads: undefined as unknown as AdsFixture });
test.before.each(async (context) => {
  context.ads = await AdsFixture.start();
});
test.after.each(async ({ ads }) => {
  await ads.stop();
});

function typeStatus(ads: AdsFixture, type: string, stream = 0): TypeStatus {
  return ads.server.streams()[stream]!.types.find((status) => status.type === type)!;
}

test('NOT_SENT until a response goes out, STALE until it is ACKed, then SYNCED', async ({ ads }) => {
  const client = ads.client();
  client.request(EDS, [clusterName(echo.target)]);
  await waitFor('the request to reach the server', () => ads.server.streams()[0]?.types.length === 1);
  assert.is(typeStatus(ads, EDS).sync, 'NOT_SENT', 'the class is not ready yet');
  ads.set(handBuiltSnapshot(services));
  await client.nextOf(EDS);
  await waitFor('the write to be recorded', () => typeStatus(ads, EDS).responsesSent === 1);
  assert.is(typeStatus(ads, EDS).sync, 'STALE', 'sent, not ACKed');
  client.request(EDS, [clusterName(echo.target)]);
  await client.barrier(routeName(probe.target));
  assert.is(typeStatus(ads, EDS).sync, 'SYNCED');
});

test('NACKED while the latest response is the rejected one; SYNCED again once a later one is ACKed', async ({ ads }) => {
  ads.set(handBuiltSnapshot(services));
  const client = ads.client();
  client.request(EDS, [clusterName(echo.target)]);
  await client.nextOf(EDS);
  client.request(EDS, [clusterName(echo.target)], { error: 'bad weight' });
  await client.barrier(routeName(probe.target));
  assert.is(typeStatus(ads, EDS).sync, 'NACKED');
  assert.equal(ads.observed.nacks, [{ type: EDS, nodeId: 'test-client', message: 'bad weight' }]);

  ads.set(handBuiltSnapshot([{ ...echo, endpoints: [{ address: '10.0.0.9', port: 50051 }] }, other, probe]));
  await client.nextOf(EDS);
  await waitFor('the write to be recorded', () => typeStatus(ads, EDS).responsesSent === 2);
  assert.is(typeStatus(ads, EDS).sync, 'STALE', 'a newer response replaces the rejected one');
  client.request(EDS, [clusterName(echo.target)]);
  await client.barrier(routeName(probe.target));
  assert.is(typeStatus(ads, EDS).sync, 'SYNCED');
});

test('a mistyped name is reported once, with the closest names, until it exists', async ({ ads }) => {
  const log = captureLog();
  try {
    ads.set(handBuiltSnapshot(services));
    const client = ads.client();
    client.request(LDS, ['echo.demo:50051']);
    await client.barrier(routeName(probe.target));
    client.request(LDS, ['echo.demo:50051', 'ecoh.demo.svc.cluster.local:50051']);
    await client.barrier(routeName(probe.target));
    client.request(LDS, ['echo.demo:50051', 'ecoh.demo.svc.cluster.local:50051']);
    await client.barrier(routeName(probe.target));

    const expected = [
      { name: 'echo.demo:50051', didYouMean: [echo.target] },
      { name: 'ecoh.demo.svc.cluster.local:50051', didYouMean: [echo.target] },
    ];
    assert.equal(typeStatus(ads, LDS).unresolved, expected);
    assert.is(typeStatus(ads, LDS).sync, 'NOT_SENT');
    assert.equal(ads.observed.unresolvedNames, expected.map((entry) => ({ type: LDS, ...entry })), 'each reported once');
    const lines = log.lines.filter((line) => line.msg === 'client asks for a resource that does not exist');
    assert.equal(lines.map((line) => [line.name, line.didYouMean]), expected.map((entry) => [entry.name, entry.didYouMean]));

    ads.set(handBuiltSnapshot([...services, { target: 'echo.demo:50051', endpoints: [] }]));
    await client.nextOf(LDS);
    assert.equal(typeStatus(ads, LDS).unresolved, [expected[1]], 'a name that now exists is no longer listed');
  } finally {
    log.restore();
  }
});

test('a wildcard asks for no names, so nothing is unresolved; a client naming 5,000 made-up names keeps a few', async ({ ads }) => {
  ads.set(handBuiltSnapshot(services), 'gateway');
  const envoy = ads.client(envoyNode('gw', 'gateway'));
  envoy.request(CDS, []);
  await envoy.nextOf(CDS);
  assert.equal(typeStatus(ads, CDS).unresolved, []);

  ads.set(handBuiltSnapshot(services));
  const log = captureLog();
  try {
    const noisy = ads.client();
    noisy.request(CDS, Array.from({ length: 5_000 }, (_, i) => `made-up-${i}`));
    await noisy.barrier(routeName(probe.target));
    assert.is(typeStatus(ads, CDS, 1).unresolved.length, 20);
    assert.is(log.lines.filter((line) => line.msg === 'client asks for a resource that does not exist').length, 10);
  } finally {
    log.restore();
  }
});

test.run();
