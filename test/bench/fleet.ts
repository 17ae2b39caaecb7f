// The fleet benchmark (issue 11): N proxyless-style streams, one HTTP/2 connection each, in a
// client process of their own (fleet-clients.ts), against three servers in turn, each in a
// process of its own:
// - the raw-write floor (floor-server.ts): a bare grpc-js server that writes one pre-encoded
//   endpoints response to every stream on command; no control plane on grpc-js beats it;
// - kube-xds as users run it (`kube-xds serve`, default coalescing), watching this process's
//   fake Kubernetes API server;
// - go-control-plane v0.14.0's snapshot cache and SotW server (gocp-peer.ts), fed the very
//   resources kube-xds serves (fetched from it over ADS).
// Against each: a connect storm (every stream at once → each holds listener, route, cluster
// and endpoints), the server's memory per connected stream (VmRSS, also after a full garbage
// collection where the server can be made to collect), and propagation: one Service's
// endpoints change (a new generation spelled in its addresses), timed from the write (the
// EndpointSlice applied, the push command sent, the update command written) to each stream's
// arrival of that generation. Changes are spaced (every stream has one, then a pause).
// Everything runs on one machine: times are wall clock (performance.timeOrigin + now()).
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeUrl } from '../../control-plane/types.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { peers } from '../support/peers.ts';
import { ClientProcess, FloorProcess, type Connected } from './fleet-processes.ts';
import { endpointsAt, fetchResources, nameOf, namesOf, servicePort } from './fleet-resources.ts';
import { addressesOf, discoveryResponse } from './fleet-wire.ts';
import { GocpPeer } from './gocp-peer.ts';
import { serviceObject, sliceObject } from './k8s-objects.ts';
import { processCpuMs, processMemoryKb, ServeProcess } from './serve-process.ts';
import { bytes, heading, ms, note, percentileCells, percentileHeader, percentiles, ratio, sleep, table, wallNow } from './stats.ts';

interface Size {
  readonly streams: number;
  /** Spaced changes measured, after `warmup` that are not. */
  readonly changes: number;
  readonly warmup: number;
  /** Connect storms per server (the median is reported). */
  readonly storms: number;
  /** After every stream has a change, before the next. */
  readonly pauseMs: number;
}

const fullSize: Size = { streams: 1_000, changes: 25, warmup: 3, storms: 3, pauseMs: 200 };
const quickSize: Size = { streams: 50, changes: 3, warmup: 1, storms: 1, pauseMs: 100 };

const namespace = 'fleet';
const hot = 'hot';
/** Enough endpoints that the endpoints response is about 2 KB, the floor's buffer in the issue. */
const hotEndpoints = 64;
const backgroundServices = 50;
const targetPort = 8080;
/** Streams connected and closed before the memory baseline: one-time costs (code, pools) are not per stream. */
const warmupStreams = 10;
const memorySamples = 5;
const memorySampleGapMs = 200;
const connectTimeoutMs = 60_000;
const changeTimeoutMs = 30_000;

const names = namesOf(namespace, hot);

/** A server the fleet connects to, and how to make generation g of the hot endpoints its state. */
interface Target {
  readonly label: string;
  readonly address: string;
  readonly pid: number;
  change(generation: number): void;
  /** A full garbage collection in the server, where it can be had; resolves to its used heap in bytes. */
  collectGarbage?(): Promise<number>;
}

interface TargetResult {
  readonly label: string;
  /** Seconds from the first stream connecting to the last holding its configuration, per storm. */
  readonly storms: number[];
  readonly stormCpuMs: number[];
  /** Write → arrival, every stream and measured change. */
  readonly propagation: number[];
  /** Write → the last stream's arrival, per measured change. */
  readonly lastArrival: number[];
  readonly cpuPerChangeMs: number;
  readonly clientCpuPerChangeMs: number;
  readonly memory?: Memory;
}

interface Memory {
  readonly beforeKb: number;
  readonly connectedKb: number;
  readonly kbPerStream: number;
  /** The same after a full garbage collection, and the JS heap in use then. */
  readonly collected?: Memory & { readonly heapBefore: number; readonly heapConnected: number };
}

export async function run(options: { quick: boolean }): Promise<Record<string, number>> {
  const size = options.quick ? quickSize : fullSize;
  heading(`fleet: ${size.streams} proxyless streams, one HTTP/2 connection each, clients in another process`);
  void peers().gocp; // not installed: say so now, not after the other phases
  const api = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-fleet-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await api.writeKubeconfig(kubeconfig);
  api.apply('services', serviceObject(namespace, hot, servicePort));
  api.apply('endpointslices', sliceObject(namespace, hot, addressesOf(0, hotEndpoints), targetPort));
  const background = Array.from({ length: backgroundServices }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
  for (const [i, service] of background.entries()) {
    api.apply('services', serviceObject(namespace, service, servicePort));
    api.apply('endpointslices', sliceObject(namespace, service, [`10.1.${i}.1`, `10.1.${i}.2`], targetPort));
  }

  const clients = ClientProcess.start();
  let server: ServeProcess | undefined;
  let floor: FloorProcess | undefined;
  let gocp: GocpPeer | undefined;
  const results: TargetResult[] = [];
  let responseBytes = 0;
  let floorWriteMs: number[] = [];
  const loadBefore = loadavg();
  try {
    server = await ServeProcess.start(['--kubeconfig', kubeconfig], { inspect: true });
    const served = await fetchResources(server.xdsAddress, namespace, [hot, ...background]);
    const hotOf = (type: TypeUrl) => served.get(type)!.find((resource) => resource.name === nameOf(names, type))!;
    const generations = 1 + size.warmup + size.changes;
    const endpoints = Array.from({ length: generations }, (_, g) => endpointsAt(hotOf(TypeUrl.Endpoint).any, g));

    // The floor: the same hot resources, and each generation's endpoints response encoded once.
    const initial: Record<string, Uint8Array> = {};
    for (const type of served.keys()) {
      const resource = type === TypeUrl.Endpoint ? endpoints[0]! : hotOf(type);
      initial[type] = discoveryResponse(type, 'floor-0', 'floor-0', [resource.any]);
    }
    const pushes = endpoints.map((resource, g) => discoveryResponse(TypeUrl.Endpoint, `floor-${g}`, `floor-${g}`, [resource.any]));
    responseBytes = pushes[1]!.length;
    await warmClients(clients, size, initial, pushes);
    floor = await FloorProcess.start(initial, pushes);
    const floorProcess = floor;
    results.push(
      await exercise(clients, size, {
        label: 'raw-write floor',
        address: floor.address,
        pid: floor.pid,
        change: (g) => floorProcess.push(g),
        collectGarbage: () => floorProcess.collectGarbage(),
      }),
    );
    floorWriteMs = floor.pushes.map((push) => push.writeMs);
    await floor.stop();
    floor = undefined;

    const kubeXds = server;
    results.push(
      await exercise(clients, size, {
        label: 'kube-xds (10/100 ms)',
        address: server.xdsAddress,
        pid: server.pid,
        change: (g) => api.apply('endpointslices', sliceObject(namespace, hot, addressesOf(g, hotEndpoints), targetPort)),
        collectGarbage: () => kubeXds.collectGarbage(),
      }),
    );
    await kubeXds.stop();
    server = undefined;

    gocp = await GocpPeer.start();
    await gocp.set(served);
    const peer = gocp;
    const updates: Promise<unknown>[] = [];
    results.push(
      await exercise(clients, size, {
        label: 'go-control-plane',
        address: gocp.address,
        pid: gocp.pid,
        change: (g) => {
          const update = peer.update(new Map([[TypeUrl.Endpoint, [endpoints[g]!]]]));
          update.catch(() => {}); // awaited below; a failure also shows as a change that never arrives
          updates.push(update);
        },
      }),
    );
    await Promise.all(updates);
  } finally {
    await clients.stop();
    await floor?.stop();
    await server?.stop();
    await gocp?.stop();
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
  return report(size, results, { responseBytes, floorWriteMs, loadBefore, loadAfter: loadavg() });
}

/**
 * The client process runs every server's phase; a full storm and a few pushes against a
 * throwaway floor server first, so that the first phase measured does not meet it cold.
 */
async function warmClients(clients: ClientProcess, size: Size, initial: Record<string, Uint8Array>, pushes: readonly Uint8Array[]): Promise<void> {
  const floor = await FloorProcess.start(initial, pushes);
  try {
    await clients.connect(floor.address, size.streams, names, connectTimeoutMs);
    for (let g = 1; g < Math.min(pushes.length, 4); g++) {
      floor.push(g);
      await sleep(size.pauseMs);
    }
    await clients.close();
  } finally {
    await floor.stop();
  }
}

/** Storms, memory and propagation against one server; leaves no stream open. */
async function exercise(clients: ClientProcess, size: Size, target: Target): Promise<TargetResult> {
  await clients.connect(target.address, warmupStreams, names, connectTimeoutMs);
  await clients.close();
  await sleep(1_000);
  const beforeKb = await medianRssKb(target.pid);
  const heapBefore = await target.collectGarbage?.();
  const collectedBeforeKb = heapBefore === undefined ? NaN : await medianRssKb(target.pid);

  const storms: number[] = [];
  const stormCpuMs: number[] = [];
  let propagation: Propagation | undefined;
  let memory: Memory | undefined;
  for (let storm = 0; storm < size.storms; storm++) {
    if (storm > 0) {
      await clients.close();
      await sleep(1_000);
    }
    const cpuBefore = processCpuMs(target.pid);
    const connected = await clients.connect(target.address, size.streams, names, connectTimeoutMs);
    stormCpuMs.push(processCpuMs(target.pid) - cpuBefore);
    storms.push(allConfiguredS(connected));
    if (storm === 0) {
      await sleep(2_000);
      const connectedKb = await medianRssKb(target.pid);
      memory = { beforeKb, connectedKb, kbPerStream: (connectedKb - beforeKb) / size.streams };
      const heapConnected = await target.collectGarbage?.();
      if (heapBefore !== undefined && heapConnected !== undefined) {
        const collectedKb = await medianRssKb(target.pid);
        const collected = { beforeKb: collectedBeforeKb, connectedKb: collectedKb, kbPerStream: (collectedKb - collectedBeforeKb) / size.streams, heapBefore, heapConnected };
        memory = { ...memory, collected };
      }
      propagation = await propagate(clients, size, target);
    }
  }
  await clients.close();
  await sleep(500);
  return { label: target.label, storms, stormCpuMs, ...propagation!, ...(memory ? { memory } : {}) };
}

interface Propagation {
  readonly propagation: number[];
  readonly lastArrival: number[];
  readonly cpuPerChangeMs: number;
  readonly clientCpuPerChangeMs: number;
}

/** Spaced changes: each waits until every stream has the one before, then a pause. */
async function propagate(clients: ClientProcess, size: Size, target: Target): Promise<Propagation> {
  const streams = size.streams;
  let generation = 0;
  let arrivals = new Float64Array(streams);
  let have = 0;
  let allHave: () => void = () => {};
  clients.onEndpoints = (stream, g, at) => {
    if (g !== generation || !Number.isNaN(arrivals[stream])) return;
    arrivals[stream] = at;
    if (++have === streams) allHave();
  };
  const result: Propagation & { propagation: number[]; lastArrival: number[] } = { propagation: [], lastArrival: [], cpuPerChangeMs: 0, clientCpuPerChangeMs: 0 };
  let cpuMs = 0;
  let clientCpuMs = 0;
  for (let i = 1; i <= size.warmup + size.changes; i++) {
    generation = i;
    arrivals = new Float64Array(streams).fill(NaN);
    have = 0;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<boolean>((resolve) => {
      allHave = () => resolve(true);
      timer = setTimeout(() => resolve(false), changeTimeoutMs);
    });
    const cpuBefore = processCpuMs(target.pid);
    const clientCpuBefore = processCpuMs(clients.pid);
    const start = wallNow();
    target.change(generation);
    const complete = await done;
    clearTimeout(timer);
    if (!complete) throw new Error(`bench: ${target.label}: generation ${generation} reached ${have} of ${streams} streams in ${changeTimeoutMs / 1_000} s`);
    if (i > size.warmup) {
      const times = Array.from(arrivals, (at) => at - start);
      result.propagation.push(...times);
      result.lastArrival.push(Math.max(...times));
      // Read after the last arrival: the server's work for this change, ACKs included.
      cpuMs += processCpuMs(target.pid) - cpuBefore;
      clientCpuMs += processCpuMs(clients.pid) - clientCpuBefore;
    }
    await sleep(size.pauseMs);
  }
  clients.onEndpoints = () => {};
  return { ...result, cpuPerChangeMs: cpuMs / size.changes, clientCpuPerChangeMs: clientCpuMs / size.changes };
}

function allConfiguredS(connected: Connected): number {
  let last = -Infinity;
  for (const at of connected.configuredAt) last = Math.max(last, at);
  return (last - connected.startedAt) / 1_000;
}

/** The median of a few VmRSS samples (the servers cannot be told to collect garbage). */
async function medianRssKb(pid: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < memorySamples; i++) {
    if (i > 0) await sleep(memorySampleGapMs);
    samples.push(processMemoryKb(pid).rssKb);
  }
  return percentiles(samples).p50;
}

// ---- report ----

interface Conditions {
  readonly responseBytes: number;
  /** The floor process's time to write one push to every stream. */
  readonly floorWriteMs: readonly number[];
  readonly loadBefore: readonly number[];
  readonly loadAfter: readonly number[];
}

function report(size: Size, results: readonly TargetResult[], conditions: Conditions): Record<string, number> {
  const { responseBytes, floorWriteMs } = conditions;
  const [floor, kubeXds, gocp] = results as [TargetResult, TargetResult, TargetResult];
  note(`clients: one process, ${size.streams} streams on ${size.streams} connections (grpc.use_local_subchannel_pool), each a proxyless`);
  note(`node asking for one Service's listener, route, cluster and endpoints in turn and ACKing all; ${hotEndpoints} endpoints`);
  note(`(an endpoints response of ${bytes(responseBytes)}), ${backgroundServices} other Services in the cluster. kube-xds: \`kube-xds serve\`, default`);
  note('coalescing (10 ms quiet window, 100 ms max delay), info logging. go-control-plane v0.14.0: snapshot cache (non-ADS');
  note('mode: its ADS mode only answers requests naming every resource of the type) and SotW server, fed kube-xds\'s resources.');
  note(`propagation: ${size.changes} spaced changes (after ${size.warmup} not counted), ${size.pauseMs} ms apart once every stream had one;`);
  note('from the write (EndpointSlice applied / push command sent / update command written) to each stream\'s arrival.');

  console.log('\n  propagation, per change and stream:');
  console.log(
    table(
      ['server', ...percentileHeader, 'last stream p50', 'server CPU/change', 'client CPU/change'],
      results.map((r) => [r.label, ...percentileCells(r.propagation), ms(percentiles(r.lastArrival).p50), ms(r.cpuPerChangeMs), ms(r.clientCpuPerChangeMs)]),
    ),
  );
  console.log(`\n  connect storm: ${size.streams} streams at once -> every one holds listener, route, cluster and endpoints:`);
  console.log(
    table(
      ['server', 'storms', 'median', 'server CPU (median)'],
      results.map((r) => [r.label, r.storms.map((s) => `${s.toFixed(2)} s`).join(', '), `${median(r.storms).toFixed(2)} s`, ms(median(r.stormCpuMs))]),
    ),
  );
  console.log(`\n  server memory: VmRSS (median of ${memorySamples} samples) before the first storm (${warmupStreams} streams connected and closed`);
  console.log('  before it) and 2 s after it; then the same after a full garbage collection, where the server can be made to:');
  console.log('  kube-xds through node\'s inspector (it runs with --inspect, no session attached otherwise), the floor with --expose-gc.');
  const kb = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : `${value.toFixed(1)} KB`);
  const mib = (valueKb: number | undefined) => (valueKb === undefined || Number.isNaN(valueKb) ? '-' : bytes(valueKb * 1024));
  console.log(
    table(
      ['server', 'before', 'connected', 'per stream', 'collected: before', 'connected', 'per stream', 'JS heap per stream'],
      results.map(({ label, memory }) => {
        const collected = memory!.collected;
        return [
          label,
          mib(memory!.beforeKb),
          mib(memory!.connectedKb),
          kb(memory!.kbPerStream),
          mib(collected?.beforeKb),
          mib(collected?.connectedKb),
          kb(collected?.kbPerStream),
          collected ? kb((collected.heapConnected - collected.heapBefore) / 1024 / size.streams) : '-',
        ];
      }),
    ),
  );
  note('kb_per_stream is kube-xds\'s "per stream" after the collection when it could be had, else without.');

  const kube = percentiles(kubeXds.propagation);
  const floorP = percentiles(floor.propagation);
  const gocpP = percentiles(gocp.propagation);
  const figures: Record<string, number> = {
    propagation_p50_ms: round(kube.p50),
    propagation_p99_ms: round(kube.p99),
    floor_p50_ms: round(floorP.p50),
    floor_p99_ms: round(floorP.p99),
    propagation_ratio_p99: round(kube.p99 / floorP.p99, 2),
    gocp_ratio: round(kube.p99 / gocpP.p99, 2),
    storm_all_configured_s: round(median(kubeXds.storms), 2),
    gocp_storm_ratio: round(median(kubeXds.storms) / median(gocp.storms), 2),
    kb_per_stream: round((kubeXds.memory!.collected ?? kubeXds.memory!).kbPerStream, 1),
  };
  console.log('\n  figures (issue 11 targets: ratio_p99 <= 1.5, gocp_ratio <= 1.0, storm <= 2 s, gocp_storm_ratio <= 1.0, <= 30 KB/stream):');
  console.log(table(['key', 'value'], Object.entries(figures).map(([key, value]) => [key, String(value)])));
  note(`for reference: kube-xds p50 is ${ratio(kube.p50 / floorP.p50)} the floor's and ${ratio(kube.p50 / gocpP.p50)} go-control-plane's; the floor process wrote`);
  note(`a push to all ${size.streams} streams in ${ms(median(floorWriteMs))} (median), the rest of its time is HTTP/2, the kernel and the clients.`);
  const load = (values: readonly number[]) => values.map((v) => v.toFixed(2)).join(' ');
  note(`load average before ${load(conditions.loadBefore)}, after ${load(conditions.loadAfter)} (${cpus().length} CPUs; other work on the machine moves these figures).`);
  return figures;
}

function median(values: readonly number[]): number {
  return percentiles(values).p50;
}

function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

if (import.meta.main) {
  const { setLogLevel } = await import('../../common/log.ts');
  setLogLevel('warn');
  const figures = await run({ quick: process.argv.includes('--quick') });
  console.log(JSON.stringify(figures));
}
