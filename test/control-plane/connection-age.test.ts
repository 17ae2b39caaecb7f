// Streams end after the max connection age plus its finite grace, so clients rebalance
// across replicas; a proxyless client reconnects and keeps its calls flowing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEchoBackend } from '../../bin/demo/echo.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { AdsFixture } from '../support/ads-fixture.ts';
import { clusterName, handBuiltSnapshot } from '../support/hand-built.ts';
import { grpcNode } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';
import { tally, testBootstrap, xdsEchoClient } from '../support/xds-channel.ts';

test('an aged ADS stream is closed after the grace period and the client reconnects', async () => {
  const backend = await startEchoBackend('pod-a', '127.0.0.5');
  const target = 'aged.demo.svc.cluster.local:50051';
  const ads = await AdsFixture.start({ maxConnectionAgeMs: 300, maxConnectionAgeGraceMs: 300 });
  const client = xdsEchoClient(target, testBootstrap(ads.address));
  try {
    ads.set(handBuiltSnapshot([{ target, endpoints: [{ address: backend.address, port: backend.port }] }]));
    const raw = ads.client(grpcNode('raw'));
    raw.request(TypeUrl.Endpoint, [clusterName(target)]);
    await raw.nextOf(TypeUrl.Endpoint);
    let ended = false;
    void raw.ended.then(() => (ended = true));
    await waitFor('the server to close the aged stream', () => ended);

    assert.is((await tally(client, 5)).failures, 0);
    const clientStream = () => ads.server.streams().find((s) => s.nodeId === 'test-client' && s.types.length > 0)?.id;
    const firstStream = await waitFor('the proxyless client stream', clientStream);
    await waitFor('the proxyless client to be on a newer stream', () => (clientStream() ?? 0) > firstStream);
    assert.is((await tally(client, 5)).failures, 0);
  } finally {
    client.close();
    await ads.stop();
    await backend.stop();
  }
});

test.run();
