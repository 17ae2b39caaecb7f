// Proxyless end to end: a real grpc-js-xds client dialing xds:///echo.demo.svc.cluster.local:50051
// through the real control plane (own thread, KubeSource against the fake API server), with
// echo backends on 127.0.0.2-6 playing pods. Each round starts five fresh backends on a new
// port (new pods: nothing is connected yet), scales the EndpointSlice down to the first one,
// waits until every call lands there, then scales up to all five and calls back to back:
// timed from api.apply() to the first call answered by a new pod, and until all five answered.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { callHello, startEchoBackend, type EchoBackend } from '../../bin/demo/echo.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { testBootstrap, xdsEchoClient } from '../support/xds-channel.ts';
import { serviceObject, sliceObject } from './k8s-objects.ts';
import { ServerThread } from './server-thread.ts';
import { heading, ms, note, now, percentileCells, percentileHeader, percentiles, sleep, table, wallNow } from './stats.ts';

const rounds = 10;
const podAddresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'];
const target = 'echo.demo.svc.cluster.local:50051';
const deadlineMs = 10_000;

export async function run(): Promise<void> {
  heading(`proxyless end to end: EndpointSlice 1 -> 5 pods, to calls reaching the new pods (${rounds} rounds)`);
  note('grpc-js-xds client (round_robin via the served wrr_locality) and five echo backends on 127.0.0.2-6 in');
  note('this thread; control plane on its own. Each round uses five new backends on a new port, so the');
  note('client has to connect to the new pods, as after a real scale-up.');

  const api = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  api.apply('services', serviceObject('demo', 'echo'));
  let backends = await startBackends();
  const setPods = (count: number) => api.apply('endpointslices', sliceObject('demo', 'echo', podAddresses.slice(0, count), backends[0]!.port));
  setPods(1);

  const server = await ServerThread.start({ kind: 'control-plane', kubeconfig });
  const client = xdsEchoClient(target, testBootstrap(server.address, 'bench-proxyless'));
  const firstNew: number[] = [];
  const allFive: number[] = [];
  const callsToFirstNew: number[] = [];
  const callLatency: number[] = [];
  const toPublish: number[] = [];
  const failures: string[] = [];
  try {
    const firstCallStart = now();
    await untilCalls(client, (name) => name === 'pod-1', 1, failures);
    const firstCallMs = now() - firstCallStart;
    for (let round = 0; round < rounds; round++) {
      if (round > 0) {
        const old = backends;
        backends = await startBackends();
        setPods(1);
        await untilCalls(client, (name) => name === 'pod-1', 20, failures); // round robin over more would alternate
        await Promise.all(old.map((backend) => backend.stop()));
      }
      await sleep(50);
      const publishesBefore = server.publishes.length;
      const start = now();
      const startWall = wallNow();
      setPods(5);
      const seen = new Set<string>();
      let calls = 0;
      while (seen.size < 5) {
        if (now() - start > deadlineMs) throw new Error(`round ${round}: only ${[...seen].join(', ')} answered within ${deadlineMs} ms`);
        const callStart = now();
        try {
          const name = await callHello(client, 2_000);
          callLatency.push(now() - callStart);
          calls++;
          if (name !== 'pod-1' && firstNew.length === round) {
            firstNew.push(now() - start);
            callsToFirstNew.push(calls);
          }
          seen.add(name);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
      allFive.push(now() - start);
      const publish = server.publishes[publishesBefore];
      if (publish) toPublish.push(publish.at - server.clockOffsetMs - startWall);
    }
    console.log(`\n  first call through a fresh channel (xDS LDS/RDS/CDS/EDS, then connect): ${ms(firstCallMs)}`);
    console.log(table(['from api.apply() of the scale-up', ...percentileHeader], [
      ['to the snapshot published on the server', ...percentileCells(toPublish)],
      ['to the first call answered by a new pod', ...percentileCells(firstNew)],
      ['until all five pods had answered', ...percentileCells(allFive)],
      ['(one Hello call, for scale)', ...percentileCells(callLatency)],
    ]));
    const callsBefore = percentiles(callsToFirstNew);
    note(`calls made until the first new pod answered: p50 ${callsBefore.p50}, max ${callsBefore.max}; failed calls: ${failures.length}`);
    note('after the publish: the EDS push to the client (see propagation), grpc-js connecting to the new pods');
    note('(round_robin picks only READY subchannels), and the calls in flight meanwhile.');
  } finally {
    client.close();
    await server.stop();
    await api.close();
    await Promise.all(backends.map((backend) => backend.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

async function startBackends(): Promise<EchoBackend[]> {
  const first = await startEchoBackend('pod-1', podAddresses[0]!);
  const rest = await Promise.all(podAddresses.slice(1).map((address, i) => startEchoBackend(`pod-${i + 2}`, address, first.port)));
  return [first, ...rest];
}

/** Calls until `count` answers in a row satisfy `accept`. */
async function untilCalls(client: grpc.Client, accept: (name: string) => boolean, count: number, failures: string[]): Promise<void> {
  const start = now();
  let streak = 0;
  while (streak < count) {
    if (now() - start > deadlineMs) throw new Error(`calls did not settle within ${deadlineMs} ms`);
    try {
      streak = accept(await callHello(client, 2_000)) ? streak + 1 : 0;
    } catch (error) {
      // Before the first config arrives the channel may fail fast; that is not a failure of a change.
      if (streak > 0 || now() - start > 2_000) failures.push((error as Error).message);
      await sleep(5);
    }
  }
}
