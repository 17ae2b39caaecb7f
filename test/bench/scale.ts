// Scale: what a large cluster costs the control plane, measured on the real CLI process
// (`kube-xds serve` against the fake Kubernetes API server) from outside it: spawn -> /readyz
// 200, resident memory (/proc/PID/status), CPU time (/proc/PID/stat), and what its clients
// receive. Clients (in this process, the server in its own): one proxyless SotW stream on a
// few Services (and asking for the names of Services that do not exist yet), an Envoy
// gateway and an Envoy sidecar, both incremental (delta) streams driven as Envoy drives them.
//
// Two cluster sizes side by side in the same run (10,000 and 1,000 Services x 10 endpoints;
// --quick: 1,000 and 100), so that the ratios the issue targets compare like with like:
// - endpoint changes: N spaced changes, one EndpointSlice each, each waited for at all three
//   clients; CPU time of the server for the batch, and the bytes the gateway's delta stream
//   received per change;
// - new Services: a Service and its EndpointSlice created -> its Listener at the proxyless
//   client that already asked for it; meanwhile the longest stall of the server's event
//   loop, from an echo of its admin /healthz at a 2 ms pace (loop-probe.ts) and, for
//   comparison, prom-client's nodejs_eventloop_lag_max_seconds (its histogram is reset at
//   each scrape, and it samples every 10 ms, so it reads 10 ms or more even when idle).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeUrl } from '../../control-plane/types.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { envoyNode, grpcNode, nameOf } from '../support/raw-ads-client.ts';
import type { DeltaResponse } from '../support/raw-delta-client.ts';
import { httpGet, ServeProcess } from './serve-process.ts';
import { EnvoyDeltaNode } from './envoy-delta-node.ts';
import { LoadClients } from './load-clients.ts';
import { LoopProbe, type ProbeResult } from './loop-probe.ts';
import {
  applyGeneration,
  createService,
  endpointsPerService,
  freshRef,
  generatedRef,
  generationOf,
  populate,
  proxylessNames,
  type ServiceRef,
} from './scale-cluster.ts';
import { bytes, heading, ms, note, now, percentiles, sleep, table, until, wallNow } from './stats.ts';

interface Plan {
  readonly coldStarts: number;
  /** How long a ready control plane idles before its resident memory is read. */
  readonly idleMs: number;
  readonly small: number;
  readonly large: number;
  /** Starts at each size; the last one is measured further. */
  readonly starts: number;
  /** After every client holds its configuration, before memory is read. */
  readonly settleMs: number;
  readonly changes: number;
  readonly additions: number;
}

const full: Plan = { coldStarts: 5, idleMs: 2_000, small: 1_000, large: 10_000, starts: 3, settleMs: 5_000, changes: 100, additions: 5 };
const quick: Plan = { coldStarts: 1, idleMs: 2_000, small: 100, large: 1_000, starts: 1, settleMs: 1_000, changes: 20, additions: 2 };

const hotServices = 3;
/** After every client has a change, before the next one: coalescing cannot merge them. */
const changeGapMs = 30;
/** After a new Service reached every client: anything the server still does is in the window. */
const additionTailMs = 300;
const syncTimeoutMs = 180_000;

interface SizeResult {
  readonly services: number;
  readonly readyMs: number[];
  readonly readyCpuMs: number[];
  readonly listServeMs: number;
  readonly clientsSyncedMs: number;
  readonly rssMb: number;
  readonly peakMb: number;
  readonly changeCpuMs: number;
  readonly changePropagationMs: number[];
  readonly gatewayBytes: number[];
  readonly sidecarBytes: number[];
  readonly newServiceMs: number[];
  readonly newServiceAllMs: number[];
  readonly additionCpuMs: number[];
  readonly probes: ProbeResult[];
  readonly lagMaxMs: number[];
}

export async function run(options: { quick: boolean } = { quick: false }): Promise<Record<string, number>> {
  const plan = options.quick ? quick : full;
  heading(`scale: cold start, idle memory, ${plan.large.toLocaleString('en')} vs ${plan.small.toLocaleString('en')} Services x ${endpointsPerService} endpoints${options.quick ? ' (quick)' : ''}`);
  note('the real CLI (`kube-xds serve --kubeconfig`) against the fake API server, measured from outside: spawn -> /readyz');
  note('200 (polled every 5 ms), VmRSS, CPU time (utime+stime of /proc/PID/stat, 10 ms ticks). Clients in this process:');
  note(`one proxyless SotW stream on ${hotServices} Services, an Envoy gateway and an Envoy sidecar on delta streams.`);

  const cold = await coldStarts(plan);
  const small = await atSize(plan.small, plan);
  const large = await atSize(plan.large, plan);

  const median = (values: readonly number[]) => percentiles(values).p50;
  const perChange = (result: SizeResult) => result.changeCpuMs / plan.changes;
  const figures = {
    cold_start_ms: median(cold.readyMs),
    idle_rss_mb: median(cold.rssMb),
    start_to_ready_s_10k: median(large.readyMs) / 1_000,
    rss_mb_10k: large.rssMb,
    change_cost_ratio_10k_vs_1k: perChange(large) / perChange(small),
    new_service_ratio_10k_vs_1k: median(large.newServiceMs) / median(small.newServiceMs),
    max_loop_block_ms_10k: Math.max(...large.probes.map((probe) => probe.maxMs)),
    delta_bytes_ratio_10k_vs_1k: median(large.gatewayBytes) / median(small.gatewayBytes),
  };

  console.log(`\n  small control plane (1 Service), ${plan.coldStarts} start(s):`);
  console.log(table(['', 'median', 'all'], [
    ['spawn -> /readyz 200', ms(figures.cold_start_ms), cold.readyMs.map(ms).join(', ')],
    ['  server CPU until ready', ms(median(cold.readyCpuMs)), cold.readyCpuMs.map(ms).join(', ')],
    [`VmRSS ${plan.idleMs / 1_000} s after ready`, `${figures.idle_rss_mb.toFixed(0)} MiB`, cold.rssMb.map((mb) => mb.toFixed(0)).join(', ')],
  ]));
  const sizes = [small, large];
  const column = (f: (result: SizeResult) => string) => sizes.map(f);
  console.log(`\n  by cluster size (the last of ${plan.starts} start(s) at each size is measured further):`);
  console.log(table(['', ...sizes.map((result) => `${result.services.toLocaleString('en')} Services`), 'ratio'], [
    ['spawn -> /readyz 200 (median)', ...column((r) => ms(median(r.readyMs))), fixed(median(large.readyMs) / median(small.readyMs))],
    ['  every start', ...column((r) => r.readyMs.map(ms).join(', ')), ''],
    ['  server CPU until ready (median)', ...column((r) => ms(median(r.readyCpuMs))), fixed(median(large.readyCpuMs) / median(small.readyCpuMs))],
    ['  fake API server: serve the slice list', ...column((r) => ms(r.listServeMs)), ''],
    ['clients connect -> all hold their config', ...column((r) => ms(r.clientsSyncedMs)), ''],
    [`VmRSS, clients on, ${plan.settleMs / 1_000} s settled`, ...column((r) => `${r.rssMb.toFixed(0)} MiB`), fixed(large.rssMb / small.rssMb)],
    ['  VmHWM (peak so far)', ...column((r) => `${r.peakMb.toFixed(0)} MiB`), ''],
    [`endpoint change: server CPU (${plan.changes} spaced)`, ...column((r) => ms(perChange(r))), fixed(figures.change_cost_ratio_10k_vs_1k)],
    ['  apply -> proxyless EDS, p50', ...column((r) => ms(median(r.changePropagationMs))), ''],
    ['  gateway delta bytes (median)', ...column((r) => bytes(median(r.gatewayBytes))), fixed(figures.delta_bytes_ratio_10k_vs_1k)],
    ['  sidecar delta bytes (median)', ...column((r) => bytes(median(r.sidecarBytes))), fixed(median(large.sidecarBytes) / median(small.sidecarBytes))],
    [`new Service -> proxyless LDS (median of ${plan.additions})`, ...column((r) => ms(median(r.newServiceMs))), fixed(figures.new_service_ratio_10k_vs_1k)],
    ['  every addition', ...column((r) => r.newServiceMs.map(ms).join(', ')), ''],
    ['  -> also at gateway and sidecar', ...column((r) => ms(median(r.newServiceAllMs))), ''],
    ['  server CPU per addition (median)', ...column((r) => ms(median(r.additionCpuMs))), fixed(median(large.additionCpuMs) / median(small.additionCpuMs))],
    ['  longest /healthz echo (max)', ...column((r) => ms(Math.max(...r.probes.map((p) => p.maxMs)))), ''],
    ['    echo p50 / requests', ...column((r) => `${ms(median(r.probes.map((p) => p.p50Ms)))} / ${r.probes.map((p) => p.requests).join(', ')}`), ''],
    ['  prom-client loop lag max (max)', ...column((r) => ms(Math.max(...r.lagMaxMs))), ''],
  ]));
  note('CPU per change: the batch\'s utime+stime / N, waiting 30 ms after each change reached all three clients.');
  note('Delta bytes: every DeltaDiscoveryResponse (message size) from a change until the next one.');
  note(`Loop stall = the longest round trip of GET /healthz on the admin port, one every 2 ms from a worker thread,`);
  note(`from just before the Service is created until ${additionTailMs} ms after every client has it (max over the additions).`);
  note('prom-client\'s lag max over the same window, for comparison, samples every 10 ms (idle reads about 10 ms).');

  console.log('\n  figures (JSON keys):');
  console.log(table(['key', 'value'], Object.entries(figures).map(([key, value]) => [key, fixed(value, 2)])));
  return figures;
}

function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

async function withApiServer<T>(work: (api: FakeApiServer, kubeconfig: string) => Promise<T>): Promise<T> {
  const api = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-scale-'));
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
    return await work(api, kubeconfig);
  } finally {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function coldStarts(plan: Plan): Promise<{ readyMs: number[]; readyCpuMs: number[]; rssMb: number[] }> {
  return withApiServer(async (api, kubeconfig) => {
    populate(api, 1);
    const readyMs: number[] = [];
    const readyCpuMs: number[] = [];
    const rssMb: number[] = [];
    for (let i = 0; i < plan.coldStarts; i++) {
      const server = await ServeProcess.start(['--kubeconfig', kubeconfig]);
      try {
        readyMs.push(server.readyMs);
        readyCpuMs.push(server.readyCpuMs);
        await sleep(plan.idleMs);
        rssMb.push(server.memory().rssMb);
      } finally {
        await server.stop();
      }
    }
    return { readyMs, readyCpuMs, rssMb };
  });
}

/** What each client has received, for waiting on it and counting it. */
class Received {
  /** Generation -> wallNow() of the first arrival. */
  readonly generations = new Map<number, number>();
  readonly names = new Map<string, Map<string, number>>();
  readonly sizes: { at: number; size: number }[] = [];

  record(type: string, name: string, at: number, assignment?: Uint8Array): void {
    let names = this.names.get(type);
    if (!names) this.names.set(type, (names = new Map()));
    if (!names.has(name)) names.set(name, at);
    if (type === TypeUrl.Endpoint && assignment) {
      const generation = generationOf(assignment);
      if (generation > 0 && !this.generations.has(generation)) this.generations.set(generation, at);
    }
  }

  has(type: string, name: string): boolean {
    return this.names.get(type)?.has(name) ?? false;
  }

  count(type: string): number {
    return this.names.get(type)?.size ?? 0;
  }

  /** Bytes of the responses that arrived at or after `from` (wallNow()). */
  bytesSince(from: number): number {
    let total = 0;
    for (let i = this.sizes.length - 1; i >= 0 && this.sizes[i]!.at >= from; i--) total += this.sizes[i]!.size;
    return total;
  }
}

async function atSize(services: number, plan: Plan): Promise<SizeResult> {
  return withApiServer(async (api, kubeconfig) => {
    heading(`scale: ${services.toLocaleString('en')} Services`);
    const populated = now();
    populate(api, services);
    note(`fake API server filled in ${ms(now() - populated)}`);
    const listStarted = now();
    await httpGet(`${api.url}/apis/discovery.k8s.io/v1/endpointslices`, 60_000);
    const listServeMs = now() - listStarted;

    const readyMs: number[] = [];
    const readyCpuMs: number[] = [];
    let server: ServeProcess | undefined;
    for (let i = 0; i < plan.starts; i++) {
      await server?.stop();
      server = await ServeProcess.start(['--kubeconfig', kubeconfig]);
      readyMs.push(server.readyMs);
      readyCpuMs.push(server.readyCpuMs);
      note(`start ${i + 1}: ready after ${ms(server.readyMs)}, ${ms(server.readyCpuMs)} of CPU`);
    }
    return measureServer(api, server!, services, plan, { readyMs, readyCpuMs, listServeMs });
  });
}

type StartFigures = Pick<SizeResult, 'readyMs' | 'readyCpuMs' | 'listServeMs'>;

async function measureServer(api: FakeApiServer, server: ServeProcess, services: number, plan: Plan, starts: StartFigures): Promise<SizeResult> {
  const hot = Array.from({ length: hotServices }, (_, i) => generatedRef(i));
  const fresh = Array.from({ length: plan.additions }, (_, i) => freshRef(i));
  const proxylessSeen = new Received();
  const gatewaySeen = new Received();
  const sidecarSeen = new Received();
  const names = (refs: readonly ServiceRef[], kind: 'listener' | 'route' | 'cluster') => refs.map((ref) => proxylessNames(ref)[kind]);
  const subscriptions = [
    { type: TypeUrl.Listener, names: [...names(hot, 'listener'), ...names(fresh, 'listener')] },
    { type: TypeUrl.Route, names: names(hot, 'route') },
    { type: TypeUrl.Cluster, names: names(hot, 'cluster') },
    { type: TypeUrl.Endpoint, names: names(hot, 'cluster') },
  ];
  const onDelta = (seen: Received) => (response: DeltaResponse, at: number) => {
    seen.sizes.push({ at, size: response.size });
    for (const resource of response.resources) seen.record(response.type, resource.name, at, resource.any?.value ?? undefined);
  };

  const connected = now();
  const proxyless = new LoadClients({
    address: server.xdsAddress,
    streams: 1,
    connections: 1,
    node: () => grpcNode('scale-proxyless'),
    subscriptions: () => subscriptions,
    onResponse: (_stream, response, at, size) => {
      proxylessSeen.sizes.push({ at, size });
      for (const any of response.resources) proxylessSeen.record(response.type_url, nameOf(any), at, any.value ?? undefined);
    },
  });
  const gateway = new EnvoyDeltaNode(server.xdsAddress, envoyNode('scale-gateway', 'gateway'), onDelta(gatewaySeen));
  const sidecar = new EnvoyDeltaNode(server.xdsAddress, envoyNode('scale-sidecar', 'sidecar'), onDelta(sidecarSeen));
  const failures = () => [...proxyless.failures, gateway.failure, sidecar.failure].filter((failure) => failure !== undefined);
  const check = () => {
    if (failures().length > 0) throw new Error(`bench: a client stream failed: ${failures().join('; ')}`);
    return true;
  };
  try {
    const envoySynced = (node: EnvoyDeltaNode) =>
      node.held(TypeUrl.Cluster).size >= services && node.held(TypeUrl.Endpoint).size >= services && node.held(TypeUrl.Route).size >= 1;
    await until(
      'every client to hold its configuration',
      () => check() && envoySynced(gateway) && envoySynced(sidecar) && hot.every((ref) => proxylessSeen.has(TypeUrl.Endpoint, proxylessNames(ref).cluster) && proxylessSeen.has(TypeUrl.Listener, proxylessNames(ref).listener)),
      syncTimeoutMs,
      5,
    );
    const clientsSyncedMs = now() - connected;
    await sleep(plan.settleMs);
    const { rssMb, peakMb } = server.memory();
    note(`clients hold their configuration after ${ms(clientsSyncedMs)}; VmRSS ${rssMb.toFixed(0)} MiB after ${plan.settleMs / 1_000} s`);

    const changePropagationMs: number[] = [];
    const gatewayBytes: number[] = [];
    const sidecarBytes: number[] = [];
    const cpuBefore = server.cpuMs();
    for (let generation = 1; generation <= plan.changes; generation++) {
      const started = wallNow();
      applyGeneration(api, hot[generation % hot.length]!, generation);
      const got = (seen: Received) => seen.generations.has(generation);
      await until(`endpoint change ${generation} to reach every client`, () => check() && got(proxylessSeen) && got(gatewaySeen) && got(sidecarSeen));
      changePropagationMs.push(proxylessSeen.generations.get(generation)! - started);
      await sleep(changeGapMs);
      gatewayBytes.push(gatewaySeen.bytesSince(started));
      sidecarBytes.push(sidecarSeen.bytesSince(started));
    }
    const changeCpuMs = server.cpuMs() - cpuBefore;
    note(`${plan.changes} endpoint changes: ${ms(changeCpuMs)} of server CPU`);

    const newServiceMs: number[] = [];
    const newServiceAllMs: number[] = [];
    const additionCpuMs: number[] = [];
    const probes: ProbeResult[] = [];
    const lagMaxMs: number[] = [];
    for (const ref of fresh) {
      await sleep(500);
      const { listener, cluster } = proxylessNames(ref);
      await server.metric('nodejs_eventloop_lag_max_seconds'); // the scrape resets prom-client's histogram
      const probe = await LoopProbe.start(`${server.adminUrl}/healthz`);
      const cpu = server.cpuMs();
      const started = wallNow();
      createService(api, ref);
      const everywhere = (seen: Received) => seen.has(TypeUrl.Cluster, cluster) && seen.has(TypeUrl.Endpoint, cluster);
      await until(`new Service ${ref.name} to reach every client`, () => check() && proxylessSeen.has(TypeUrl.Listener, listener) && everywhere(gatewaySeen) && everywhere(sidecarSeen), 60_000);
      const allAt = Math.max(gatewaySeen.names.get(TypeUrl.Endpoint)!.get(cluster)!, sidecarSeen.names.get(TypeUrl.Endpoint)!.get(cluster)!);
      newServiceMs.push(proxylessSeen.names.get(TypeUrl.Listener)!.get(listener)! - started);
      newServiceAllMs.push(allAt - started);
      await sleep(additionTailMs);
      probes.push(await probe.stop());
      additionCpuMs.push(server.cpuMs() - cpu);
      lagMaxMs.push((await server.metric('nodejs_eventloop_lag_max_seconds')) * 1_000);
    }
    note(`${plan.additions} new Services: LDS at the proxyless client after ${newServiceMs.map(ms).join(', ')}`);
    check();
    return {
      services, ...starts, clientsSyncedMs, rssMb, peakMb, changeCpuMs, changePropagationMs, gatewayBytes, sidecarBytes,
      newServiceMs, newServiceAllMs, additionCpuMs, probes, lagMaxMs,
    };
  } finally {
    proxyless.close();
    gateway.close();
    sidecar.close();
    await server.stop();
  }
}
