// Propagation, Kubernetes to client: the real control plane (KubeSource on client-node
// against the fake API server, the pipeline with its default 10 ms / 100 ms coalescing, the
// ADS server) on its own thread, and N raw ADS streams (proxyless nodes, one HTTP/2
// connection each, like a fleet of gRPC clients) subscribed to one Service's
// ClusterLoadAssignment. Each EndpointSlice change carries a generation in its addresses; a
// stream "has" a change when an EDS response with exactly those addresses arrives.
//
// Three phases per N: spaced changes (each waits until every stream has the previous one,
// then 30 ms, so coalescing cannot merge them); a burst applied in one tick (one watch chunk:
// coalescing should give one push); and a rolling burst, one change every 2 ms (longer than
// the 10 ms quiet window would allow: the 100 ms max delay is what flushes it).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeUrl } from '../../control-plane/types.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { grpcNode } from '../support/raw-ads-client.ts';
import { edsName, serviceObject, sliceObject } from './k8s-objects.ts';
import { endpointAddresses, LoadClients } from './load-clients.ts';
import { ServerThread } from './server-thread.ts';
import { heading, ms, note, percentileCells, percentileHeader, percentiles, ratio, sleep, table, until, wallNow } from './stats.ts';

const streamCounts = [1, 100, 500];
const spacedChanges = 50;
const burstChanges = 50;
const rollingSpacingMs = 2;
const backgroundServices = 50;
const namespace = 'bench';
const hot = 'hot';
const targetPort = 8080;

/** Three pod addresses that spell the generation. */
function addressesOf(generation: number): string[] {
  return [1, 2, 3].map((host) => `10.${100 + (generation >> 8)}.${generation & 255}.${host}`);
}

export async function run(): Promise<void> {
  heading('propagation: EndpointSlice applied -> EDS response at the client');
  note(`control plane on its own thread (KubeSource -> pipeline -> ADS), ${backgroundServices + 1} Services; clients: N proxyless`);
  note('streams, one HTTP/2 connection each, subscribed to EDS for one Service. Times from api.apply()');
  note(`to the response's arrival. ${spacedChanges} spaced changes, then ${burstChanges} in one tick, then ${burstChanges} ${rollingSpacingMs} ms apart.`);
  const spacedRows: string[][] = [];
  const stageRows: string[][] = [];
  const burstRows: string[][] = [];
  const offsets: number[] = [];
  const sanity: string[] = [];
  for (const streams of streamCounts) {
    const result = await measure(streams);
    offsets.push(result.clockOffsetMs);
    const perStream = percentiles(result.spacedResponses);
    sanity.push(`${streams} streams: EDS responses per stream over the ${spacedChanges} spaced changes min ${Math.min(...result.spacedResponses)} max ${perStream.max}; server pipeline ${JSON.stringify(result.pipeline)}`);
    spacedRows.push([`${streams} streams`, ...percentileCells(result.spaced), ms(percentiles(result.spacedLast).p50), ms(percentiles(result.spacedLast).max)]);
    stageRows.push([`${streams} streams`, ms(percentiles(result.toPublish).p50), ms(percentiles(result.toPublish).p90), ms(percentiles(result.toPublish).max), ms(percentiles(result.fromPublish).p50), ms(percentiles(result.fromPublish).p90), ms(percentiles(result.fromPublish).max)]);
    for (const burst of result.bursts) {
      const pushes = percentiles(burst.pushesPerStream);
      burstRows.push([
        `${streams} streams, ${burst.name}`,
        ms(burst.applyMs),
        ms(burst.maxGapMs),
        ms(percentiles(burst.settle).p50),
        ms(percentiles(burst.settle).max),
        String(burst.publishes),
        `${pushes.p50} / ${pushes.max}`,
        ratio(burstChanges / pushes.p50),
      ]);
    }
  }
  console.log('\n  spaced changes, per change and stream (and until the last stream had each change):');
  console.log(table(['clients', ...percentileHeader, 'all: p50', 'all: max'], spacedRows));
  console.log('\n  where the time goes (spaced changes): apply -> snapshot published on the server, then published -> arrival');
  console.log(table(['clients', 'to publish p50', 'p90', 'max', 'publish->client p50', 'p90', 'max'], stageRows));
  console.log(`\n  bursts of ${burstChanges} changes: settle = last apply -> final endpoints at a stream`);
  console.log(table(['clients, burst', 'applying', 'max gap', 'settle p50', 'settle max', 'publishes', 'pushes/stream p50 / max', 'coalescing'], burstRows));
  note(`coalescing = ${burstChanges} changes / median pushes a stream received. publishes = proxyless snapshots the server set.`);
  note('max gap: the longest pause between two applies; over the 10 ms quiet window, a flush happens there.');
  for (const line of sanity) note(line);
  note(`server-thread clock offset estimates (apply -> publish split only): ${offsets.map((o) => `${(o * 1_000).toFixed(0)} µs`).join(', ')}`);
}

interface Burst {
  readonly name: string;
  readonly applyMs: number;
  /** The longest pause between two applies (this thread also runs the clients). */
  readonly maxGapMs: number;
  readonly settle: number[];
  readonly publishes: number;
  readonly pushesPerStream: number[];
}

interface Result {
  readonly spaced: number[];
  /** EDS responses each stream received during the spaced phase (one per change expected). */
  spacedResponses: number[];
  pipeline?: unknown;
  readonly spacedLast: number[];
  readonly toPublish: number[];
  readonly fromPublish: number[];
  readonly bursts: Burst[];
  readonly clockOffsetMs: number;
}

async function measure(streams: number): Promise<Result> {
  const api = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  api.apply('services', serviceObject(namespace, hot));
  api.apply('endpointslices', sliceObject(namespace, hot, addressesOf(0), targetPort));
  for (let i = 0; i < backgroundServices; i++) {
    api.apply('services', serviceObject(namespace, `svc-${i}`));
    api.apply('endpointslices', sliceObject(namespace, `svc-${i}`, [`10.1.${i}.1`, `10.1.${i}.2`], targetPort));
  }

  const generations = 1 + spacedChanges + 2 * burstChanges;
  const generationOf = new Map<string, number>();
  for (let g = 0; g < generations; g++) generationOf.set(addressesOf(g).join(','), g);
  const arrivals = Array.from({ length: generations }, () => new Float64Array(streams).fill(NaN));
  const have = new Int32Array(generations);
  /** EDS responses each stream got, by generation. */
  const received: number[][] = Array.from({ length: streams }, () => []);

  const server = await ServerThread.start({ kind: 'control-plane', kubeconfig });
  const clients = new LoadClients({
    address: server.address,
    streams,
    connections: streams,
    node: (stream) => grpcNode(`propagation-${stream}`),
    subscriptions: () => [{ type: TypeUrl.Endpoint, names: [edsName(namespace, hot)] }],
    onResponse: (stream, response, at) => {
      const g = generationOf.get(endpointAddresses(response).sort().join(','));
      if (g === undefined) return;
      received[stream]!.push(g);
      if (!Number.isNaN(arrivals[g]![stream])) return;
      arrivals[g]![stream] = at;
      have[g]!++;
    },
  });
  const apply = (g: number) => api.apply('endpointslices', sliceObject(namespace, hot, addressesOf(g), targetPort));
  const result: Result = { spaced: [], spacedResponses: [], spacedLast: [], toPublish: [], fromPublish: [], bursts: [], clockOffsetMs: server.clockOffsetMs };
  try {
    await until(`${streams} streams to get the first endpoints`, () => have[0] === streams, 30_000);
    await sleep(100);

    let g = 0;
    const countedBefore = received.map((list) => list.length);
    for (let i = 0; i < spacedChanges; i++) {
      g++;
      const publishesBefore = server.publishes.length;
      const start = wallNow();
      apply(g);
      await until(`change ${g} to reach every stream`, () => have[g] === streams);
      const times = Array.from(arrivals[g]!, (at) => at - start);
      result.spaced.push(...times);
      result.spacedLast.push(Math.max(...times));
      const publish = server.publishes[publishesBefore];
      if (publish) {
        const publishedAt = publish.at - server.clockOffsetMs;
        result.toPublish.push(publishedAt - start);
        for (const at of arrivals[g]!) result.fromPublish.push(at - publishedAt);
      }
      await sleep(30);
    }
    result.spacedResponses = received.map((list, stream) => list.length - countedBefore[stream]!);

    for (const name of ['one tick', `${rollingSpacingMs} ms apart`]) {
      await sleep(200);
      const first = g + 1;
      const last = g + burstChanges;
      const publishesBefore = server.publishes.length;
      const counted = received.map((list) => list.length);
      const start = wallNow();
      let maxGapMs = 0;
      let previous = start;
      for (g = first; g <= last; g++) {
        const at = wallNow();
        maxGapMs = Math.max(maxGapMs, at - previous);
        previous = at;
        apply(g);
        if (name !== 'one tick' && g < last) await sleep(rollingSpacingMs);
      }
      g = last;
      const lastApply = wallNow();
      await until(`the ${name} burst to settle at every stream`, () => have[last] === streams);
      await sleep(150); // anything still coming in counts as a push too
      result.bursts.push({
        name,
        applyMs: lastApply - start,
        maxGapMs,
        settle: Array.from(arrivals[last]!, (at) => at - lastApply),
        publishes: server.publishes.length - publishesBefore,
        pushesPerStream: received.map((list, stream) => list.slice(counted[stream]).filter((gen) => gen >= first).length),
      });
    }
    result.pipeline = (await server.request<{ pipeline: unknown }>('stats')).pipeline;
    if (clients.failures.length > 0) note(`stream failures: ${clients.failures.slice(0, 3).join('; ')}`);
  } finally {
    clients.close();
    await server.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}
