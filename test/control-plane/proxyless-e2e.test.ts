// A real grpc-js-xds client dials a hand-built snapshot and balances calls over real backends.
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startEchoBackend, callHello, type EchoBackend } from '../../bin/demo/echo.ts';
import { AdsFixture } from '../support/ads-fixture.ts';
import { handBuiltSnapshot } from '../support/hand-built.ts';
import { waitFor } from '../support/wait.ts';
import { tally, testBootstrap, xdsEchoClient } from '../support/xds-channel.ts';

const target = 'echo.demo.svc.cluster.local:50051';

async function startBackends(addresses: string[]): Promise<EchoBackend[]> {
  const first = await startEchoBackend(`pod-${addresses[0]}`, addresses[0]!);
  const rest = await Promise.all(addresses.slice(1).map((address) => startEchoBackend(`pod-${address}`, address, first.port)));
  return [first, ...rest];
}

test('calls through xds:/// are spread round-robin over three backends, and survive idleness', async () => {
  const backends = await startBackends(['127.0.0.2', '127.0.0.3', '127.0.0.4']);
  const ads = await AdsFixture.start();
  const client = xdsEchoClient(target, testBootstrap(ads.address), { 'grpc.client_idle_timeout_ms': 1_000 });
  try {
    ads.set(handBuiltSnapshot([{ target, endpoints: backends.map((b) => ({ address: b.address, port: b.port })) }]));
    await waitFor('every backend to have answered', async () => {
      await callHello(client);
      return backends.every((b) => b.served() > 0);
    });

    const { byBackend, failures } = await tally(client, 300);
    assert.is(failures, 0);
    for (const backend of backends) {
      const calls = byBackend.get(backend.name) ?? 0;
      assert.ok(Math.abs(calls - 100) <= 2, `${backend.name} got ${calls} of 300 calls`);
    }

    const channel = client.getChannel();
    await waitFor('the channel to go idle', () => channel.getConnectivityState(false) === grpc.connectivityState.IDLE, { timeoutMs: 20_000 });
    const afterIdle = await tally(client, 30);
    assert.is(afterIdle.failures, 0, 'an idle channel wakes and gets its config again');
    assert.is(afterIdle.byBackend.size, 3);
  } finally {
    client.close();
    await ads.stop();
    await Promise.all(backends.map((b) => b.stop()));
  }
});

test.run();
