// Kubernetes to proxyless gRPC, end to end: a fake API server speaking list/watch, the
// control plane with its real Kubernetes source, a grpc-js-xds client, five real backends.
import type * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ControlPlane } from '../../bin/serve.ts';
import { CallLoop } from '../support/call-loop.ts';
import { waitFor } from '../support/wait.ts';
import { tally, testBootstrap, xdsEchoClient } from '../support/xds-channel.ts';
import { Cluster, target, type PodState } from './support.ts';

interface Context {
  cluster: Cluster;
  controlPlane: ControlPlane;
  client: grpc.Client;
}
const test = suite<Context>('kubernetes to proxyless gRPC', {} as Context);

test.before.each(async (context) => {
  context.cluster = await Cluster.start();
  context.controlPlane = context.cluster.controlPlane();
  const { ports, synced } = await context.controlPlane.start();
  await synced;
  context.client = xdsEchoClient(target, testBootstrap(`127.0.0.1:${ports.xds}`));
});

test.after.each(async ({ cluster, controlPlane, client }) => {
  client.close();
  await controlPlane.stop();
  await cluster.stop();
});

const five: PodState[] = ['ready', 'ready', 'ready', 'ready', 'ready'];

async function reachesAll(client: grpc.Client, names: string[]): Promise<void> {
  const seen = new Set<string>();
  await waitFor(`calls to reach ${names.join(', ')}`, async () => {
    const { byBackend } = await tally(client, 10);
    for (const name of byBackend.keys()) seen.add(name);
    return names.every((name) => seen.has(name));
  });
}

test('five ready endpoints share 500 calls evenly', async ({ cluster, client }) => {
  cluster.setPods(five);
  await reachesAll(client, ['pod-1', 'pod-2', 'pod-3', 'pod-4', 'pod-5']);
  const { byBackend, failures } = await tally(client, 500);
  assert.is(failures, 0);
  for (const backend of cluster.backends) {
    const calls = byBackend.get(backend.name) ?? 0;
    assert.ok(Math.abs(calls - 100) <= 2, `${backend.name} got ${calls} of 500`);
  }
});

test('scaling from one endpoint to five reaches all five', async ({ cluster, client }) => {
  cluster.setPods(['ready']);
  await reachesAll(client, ['pod-1']);
  const first = await tally(client, 20);
  assert.equal([...first.byBackend.keys()], ['pod-1']);
  assert.is(first.failures, 0);
  cluster.setPods(five);
  await reachesAll(client, ['pod-1', 'pod-2', 'pod-3', 'pod-4', 'pod-5']);
});

test('a terminating endpoint stops getting new calls before it leaves, and the drain fails no call', async ({ cluster, client }) => {
  cluster.setPods(five);
  await reachesAll(client, ['pod-1', 'pod-2', 'pod-3', 'pod-4', 'pod-5']);
  const load = new CallLoop(client);
  try {
    cluster.setPods(['ready', 'ready', 'ready', 'ready', 'draining']);
    const servedBefore = () => cluster.backends[4]!.served();
    await waitFor('pod-5 to stop receiving calls', () => load.settledOn(new Set(['pod-1', 'pod-2', 'pod-3', 'pod-4'])));
    const servedWhenDrained = servedBefore();
    const callsWhenDrained = load.calls;
    await waitFor('more calls after the drain', () => load.calls > callsWhenDrained + 50);
    assert.is(servedBefore(), servedWhenDrained, 'a draining endpoint gets no new calls while it still exists');
    cluster.setPods(['ready', 'ready', 'ready', 'ready']);
    const callsAfterRemoval = load.calls;
    await waitFor('more calls after the removal', () => load.calls > callsAfterRemoval + 50);
  } finally {
    await load.stop();
  }
  assert.equal(load.errors, []);
});

const faults: Array<[string, (cluster: Cluster) => Promise<void> | void]> = [
  ['410 Gone', (cluster) => {
    cluster.api.compact();
    cluster.api.expireWatches();
  }],
  ['a clean close of every watch', (cluster) => cluster.api.closeWatches()],
  ['a connection reset', (cluster) => cluster.api.resetConnections()],
  ['5xx answers', (cluster) => {
    cluster.api.failRequests(3, 503);
    cluster.api.closeWatches();
  }],
  ['the API server down for a while', async (cluster) => {
    await cluster.api.goDown();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await cluster.api.comeUp();
  }],
];

test('after each watch fault, later changes still arrive', async ({ cluster, client, controlPlane }) => {
  cluster.setPods(['ready']);
  await reachesAll(client, ['pod-1']);
  let pods: PodState[] = ['ready'];
  for (const [name, inject] of faults) {
    await inject(cluster);
    pods = pods.length === 5 ? ['ready'] : [...pods, 'ready'];
    cluster.setPods(pods);
    const expected = cluster.backends.slice(0, pods.length).map((b) => b.name);
    try {
      await waitFor(`the change after ${name} to reach the client`, async () => {
        const { byBackend } = await tally(client, 3 * pods.length);
        return byBackend.size === pods.length && expected.every((n) => byBackend.has(n));
      }, { timeoutMs: 30_000 });
    } catch (error) {
      throw new Error(`${(error as Error).message}; source status ${JSON.stringify(controlPlane.status().source)}`);
    }
  }
});

test.run();
