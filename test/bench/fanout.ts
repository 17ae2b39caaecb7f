// Fan-out: one endpoints change pushed to 1,000 ADS streams that all subscribe to it, with
// the streams spread over 1, 10, 100 or 1,000 HTTP/2 connections (a fleet is one connection
// per client; one connection carrying every stream is the cheapest case for the server).
// Timed from the moment the server sets the snapshot (its own clock, offset-corrected) to
// each stream's arrival; the server thread's CPU time per push, divided by the streams,
// is its cost per stream (responses, HTTP/2 writes, and reading the 1,000 ACKs).
// A last layout puts every stream on a different Service, so one change concerns one
// stream: what the other 999 cost the server is the price of a large fleet per change.
import { TypeUrl } from '../../control-plane/types.ts';
import { clusterName } from '../../envoy-config/names.ts';
import { envoyConfigOptions } from '../../envoy-config/options.ts';
import { grpcNode } from '../support/raw-ads-client.ts';
import { endpointAddresses, LoadClients } from './load-clients.ts';
import { generatedEndpoints, generatedService } from './model-source.ts';
import { ServerThread, type Usage } from './server-thread.ts';
import { bytes, heading, ms, note, now, percentileCells, percentileHeader, percentiles, table, until } from './stats.ts';

const streams = 1_000;
const pushes = 10;

interface Layout {
  readonly label: string;
  readonly connections: number;
  /** Services in the snapshot. */
  readonly services: number;
  /** Stream s subscribes to Service s (else every stream to Service 0, the one that changes). */
  readonly spread: boolean;
}

const layouts: readonly Layout[] = [
  ...[1, 10, 100, 1_000].map((connections) => ({ label: `${connections} conn x ${streams / connections}`, connections, services: 100, spread: false })),
  { label: '100 conn, 1 of 1000 wants it', connections: 100, services: streams, spread: true },
];

export async function run(): Promise<void> {
  heading(`fan-out: one EDS change to ${streams} streams (${pushes} pushes per layout)`);
  note('server: bare AdsServer + pipeline (coalescing off) on its own thread. Streams are proxyless nodes');
  note('subscribed to one ClusterLoadAssignment each, ACKing every response; in the first four layouts they all');
  note('want the one that changes (100 Services), in the last each wants its own (1,000 Services).');
  note('"arrival": server sets the snapshot -> response handed to the client stream. All client streams');
  note('share one thread, so the last ones also wait for the client-side work of the others.');
  const rows: string[][] = [];
  const costRows: string[][] = [];
  for (const layout of layouts) {
    const result = await measure(layout);
    const last = percentiles(result.lastArrivals);
    const cpu = percentiles(result.cpuMs).p50;
    rows.push([layout.label, ...percentileCells(result.arrivals), ms(last.p50), ms(last.max)]);
    costRows.push([
      layout.label,
      ms(result.connectMs),
      ms(percentiles(result.syncMs).p50),
      ms(cpu),
      `${((cpu / streams) * 1_000).toFixed(0)} µs`,
      ms(percentiles(result.clientCpuMs).p50),
      bytes(result.heapPerStream),
      bytes(result.responseBytes),
    ]);
  }
  console.log('\n  per stream arrival (all pushes), and time until the last stream had each push:');
  console.log(table(['layout', ...percentileHeader, 'all: p50', 'all: max'], rows));
  console.log('\n  costs (medians over the pushes):');
  console.log(table(['layout', 'connect all', 'sync fan-out', 'server CPU/push', 'per stream', 'client CPU/push', 'server heap/stream', 'EDS response'], costRows));
  note('connect all: opening every stream until each had its first EDS response. sync fan-out: from the proxyless');
  note('snapshot set until the ADS server had handed every stream its response (the event loop is blocked). server CPU/push:');
  note('server thread CPU from the change (pipeline fast path included) until every client had it and the ACKs');
  note('were read; per stream = / 1,000.');
  note('client CPU/push: the same for this (client) thread. server heap/stream: after GC, streams open.');
}

interface LayoutResult {
  readonly arrivals: number[];
  readonly lastArrivals: number[];
  readonly syncMs: number[];
  readonly cpuMs: number[];
  readonly clientCpuMs: number[];
  connectMs: number;
  heapPerStream: number;
  responseBytes: number;
}

async function measure({ connections, services, spread }: Layout): Promise<LayoutResult> {
  const server = await ServerThread.start({ kind: 'ads', services });
  const options = envoyConfigOptions({});
  const edsNameOf = (index: number) => {
    const service = generatedService(index, 3);
    return clusterName(service, service.ports[0]!, options.clusterDomain);
  };
  const generationOf = new Map<string, number>();
  for (let g = 0; g <= pushes; g++) generationOf.set(key(generatedEndpoints(0, 3, g).map((e) => e.address)), g);
  const receivers = spread ? [0] : Array.from({ length: streams }, (_, s) => s);

  // arrivals[g][stream] = when the stream first had generation g (of Service 0).
  const arrivals = Array.from({ length: pushes + 1 }, () => new Float64Array(streams).fill(NaN));
  const have = new Int32Array(pushes + 1);
  const answered = new Uint8Array(streams);
  let ready = 0;
  const result: LayoutResult = { arrivals: [], lastArrivals: [], syncMs: [], cpuMs: [], clientCpuMs: [], connectMs: 0, heapPerStream: 0, responseBytes: 0 };
  const heapBefore = (await server.request<Usage>('gc')).heapUsed;
  const connectStart = now();
  const clients = new LoadClients({
    address: server.address,
    streams,
    connections,
    node: (stream) => grpcNode(`fanout-${stream}`),
    subscriptions: (stream) => [{ type: TypeUrl.Endpoint, names: [edsNameOf(spread ? stream : 0)] }],
    onResponse: (stream, response, at, size) => {
      if (!answered[stream]) {
        answered[stream] = 1;
        ready++;
      }
      const g = generationOf.get(key(endpointAddresses(response)));
      if (g === undefined || !Number.isNaN(arrivals[g]![stream])) return;
      arrivals[g]![stream] = at;
      have[g]!++;
      result.responseBytes = size;
    },
  });
  try {
    await until(`${streams} streams to get their first response`, () => ready === streams, 60_000);
    result.connectMs = now() - connectStart;
    result.heapPerStream = ((await server.request<Usage>('gc')).heapUsed - heapBefore) / streams;
    for (let g = 1; g <= pushes; g++) {
      const clientCpuBefore = threadCpuMs();
      const publishesBefore = server.publishes.length;
      const push = await server.push(g);
      await until(`push ${g} to reach its streams`, () => have[g] === receivers.length && server.publishes.length > publishesBefore, 20_000);
      const publish = server.publishes[publishesBefore]!;
      // Let the ACKs reach the server before reading its CPU time.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const usage = await server.request<Usage>('usage');
      result.clientCpuMs.push(threadCpuMs() - clientCpuBefore);
      const start = publish.at - server.clockOffsetMs;
      const times = receivers.map((stream) => arrivals[g]![stream]! - start);
      result.arrivals.push(...times);
      result.lastArrivals.push(Math.max(...times));
      result.syncMs.push(publish.writtenAt - publish.at);
      result.cpuMs.push(usage.cpuMs - push.cpuMsBefore);
    }
    if (clients.failures.length > 0) note(`stream failures: ${clients.failures.slice(0, 3).join('; ')}`);
  } finally {
    clients.close();
    await server.stop();
  }
  return result;
}

function threadCpuMs(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1_000;
}

function key(addresses: readonly string[]): string {
  return [...addresses].sort().join(',');
}
