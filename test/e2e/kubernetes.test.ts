// Kubernetes to proxyless gRPC through every kind of watch fault: a fake API server speaking
// list/watch, the control plane with its real Kubernetes source, a grpc-js-xds client, real
// backends. (Balancing, scaling, drains and restarts with every client: test/interop.)
import type * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import type { ControlPlane } from '../../bin/serve.ts';
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

async function reachesAll(client: grpc.Client, names: string[]): Promise<void> {
  const seen = new Set<string>();
  await waitFor(`calls to reach ${names.join(', ')}`, async () => {
    const { byBackend } = await tally(client, 10);
    for (const name of byBackend.keys()) seen.add(name);
    return names.every((name) => seen.has(name));
  });
}

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
