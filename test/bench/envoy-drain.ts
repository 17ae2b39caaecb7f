// A real Envoy gateway (the pinned peer, from the CLI's bootstrap) in front of five Go
// backends, a plain grpc-js client (one HTTP/2 connection to Envoy) calling through it. Pods
// 4 and 5 start terminating (ready: false, serving: true: EDS health DRAINING): how long
// until Envoy stops sending them requests, with the clusters' update_merge_window at 0 (our
// default) and at 1 s (Envoy's)? A health-only change is what Envoy merges; a removal (scale
// 5 -> 3) applies at once, and is measured for contrast. The control plane runs in this
// process (the merge window is a builder option, not a CLI flag).
import { freePort } from '../../bin/demo/free-port.ts';
import { parseFlags } from '../../bin/flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../../bin/serve.ts';
import { envoyConfigOptions } from '../../envoy-config/options.ts';
import { Cluster, podAddresses, podNames, target, type Pod, type PodState } from '../e2e/support.ts';
import { TestEnvoy } from '../support/envoy.ts';
import { PeerClient } from '../support/peers.ts';
import { lastCall, startPods } from './peer-timing.ts';
import { heading, ms, note, now, percentiles, sleep, table, until } from './stats.ts';

const rounds = 5;
const rate = 200;
const windowsMs = [0, 1_000];
/** A quiet time longer than the 1 s window, for the drain that Envoy may apply at once. */
const quietMs = 1_200;
/** Calls in a row that must miss pods 4 and 5 before the last one on them is taken as the last. */
const settleCalls = 60;
const waitMs = 15_000;
/** One round-robin turn over the five pods at the client's rate. */
const turnMs = (5 * 1_000) / rate;

const five: PodState[] = ['ready', 'ready', 'ready', 'ready', 'ready'];
const leaving = new Set(['pod-4', 'pod-5']);
const staying = new Set(['pod-1', 'pod-2', 'pod-3']);

interface Phase {
  readonly label: string;
  readonly states: readonly PodState[];
  /** Wait this long after the five pods answer again before the change (else: no wait). */
  readonly quietMs?: number;
}

const phases = (windowMs: number): Phase[] => [
  { label: 'drain (4, 5 terminating), right after a restore', states: ['ready', 'ready', 'ready', 'draining', 'draining'] },
  ...(windowMs > 0 ? [{ label: `drain, after ${quietMs / 1_000} s without a change`, states: ['ready', 'ready', 'ready', 'draining', 'draining'] as PodState[], quietMs }] : []),
  { label: 'removal (scale 5 -> 3)', states: ['ready', 'ready', 'ready'] },
];

export async function run(): Promise<void> {
  heading(`Envoy gateway: pods 4-5 start terminating, or are removed -> their last request (${rounds} rounds each)`);
  note(`Envoy 1.40 gateway, five Go backends on 127.0.0.2-6, one plain grpc-js client at ${rate}/s through one HTTP/2`);
  note('connection; control plane in this process (Kubernetes source on the fake API server). Each round starts');
  note(`from five ready pods that all answered again, then waits 0 to ${turnMs * (rounds - 1) / rounds} ms (a different point of Envoy\'s`);
  note('round-robin turn each round) before the change.');
  const { backends, pods } = await startPods(podNames);
  const rows: string[][] = [];
  const stats: string[] = [];
  try {
    for (const windowMs of windowsMs) {
      const result = await measure(pods, windowMs);
      rows.push(...result.rows);
      stats.push(`window ${windowMs} ms: ${result.stats}`);
    }
  } finally {
    await backends.stop();
  }
  console.log();
  console.log(table(['update_merge_window, change', 'Envoy shows it p50', 'max', 'last call on 4/5 p50', 'max', 'calls on 4/5 after p50', 'max', 'failed'], rows));
  note('Times from api.apply(): "Envoy shows it", until Envoy\'s admin /clusters (polled every 2 ms) has pods 4-5');
  note('DRAINING or gone; "last call", until this process read the client\'s `call` line for the last call pod-4 or');
  note(`pod-5 answered (0: none after the apply; the client calls every ${1_000 / rate} ms, 2 in 5 calls went to them), the`);
  note(`change counting as done after ${settleCalls} calls in a row missed them; "calls on 4/5 after": how many there were.`);
  note('Envoy documents that it holds health-only changes (not additions or removals) for update_merge_window');
  note('after the cluster\'s previous update; its counters say whether it merged any (via_merge, out_of_merge_window):');
  for (const line of stats) note(`  ${line}`);
}

async function measure(pods: readonly Pod[], windowMs: number): Promise<{ rows: string[][]; stats: string }> {
  const cluster = await Cluster.start({ pods });
  let controlPlane: ControlPlane | undefined;
  let envoy: TestEnvoy | undefined;
  let client: PeerClient | undefined;
  try {
    cluster.setPods(five);
    const gatewayPort = await freePort();
    const flags = [...cluster.serveArgs(), '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0', '--log-level', 'warn'];
    controlPlane = new ControlPlane({
      ...serveConfig(parseFlags(serveFlags, flags, {})),
      envoy: envoyConfigOptions({ gatewayPorts: [gatewayPort], updateMergeWindowMs: windowMs }),
    });
    const { ports, synced } = await controlPlane.start();
    await synced;
    envoy = await TestEnvoy.start({ role: 'gateway', xdsAddress: `127.0.0.1:${ports.xds}`, nodeId: `bench-envoy-${windowMs}` });
    const peer = PeerClient.start('grpc-js', { target: `127.0.0.1:${gatewayPort}`, authority: target, rate });
    client = peer;
    await peer.waitToReach(podNames, 0, 30_000);

    const rows: string[][] = [];
    for (const phase of phases(windowMs)) {
      const applied: number[] = [];
      const last: number[] = [];
      const after: number[] = [];
      let failed = 0;
      for (let round = 0; round < rounds; round++) {
        // Five ready pods, all answering again (after a drain, this is itself a merged change).
        const restored = peer.mark;
        cluster.setPods(five);
        await until('all five pods to answer again', () => peer.reached(podNames, restored), waitMs, 5);
        // Envoy's round robin visits the pods in turn (a turn is 5 calls, 25 ms): each round meets
        // it at another point of the turn, else the change would land at the same one every time.
        await sleep((phase.quietMs ?? 0) + (round * turnMs) / rounds);
        const failuresBefore = peer.failures.length;
        const mark = peer.mark;
        const start = now();
        cluster.setPods(phase.states);
        const shown = untilEnvoyShows(envoy, phase.states.length, waitMs).then(() => now() - start);
        await until(`calls to leave pods 4 and 5 (${phase.label})`, () => peer.mark - mark >= settleCalls && peer.settledOn(staying, settleCalls), waitMs, 5);
        const index = lastCall(peer, mark, leaving);
        applied.push(await shown);
        last.push(index < 0 ? 0 : peer.calls[index]!.at - start);
        after.push(peer.calls.slice(mark).filter((call) => leaving.has(call.backend)).length);
        failed += peer.failures.length - failuresBefore;
      }
      const [appliedP, lastP, afterP] = [percentiles(applied), percentiles(last), percentiles(after)];
      rows.push([`${windowMs} ms, ${phase.label}`, ms(appliedP.p50), ms(appliedP.max), time(lastP.p50), time(lastP.max), String(afterP.p50), String(afterP.max), String(failed)]);
    }
    const counters = await envoy.stats();
    const stats = ['cluster_updated', 'cluster_updated_via_merge', 'update_merge_cancelled', 'update_out_of_merge_window']
      .map((name) => `${name} ${counters.get(`cluster_manager.${name}`) ?? '?'}`)
      .join(', ');
    client = undefined;
    await peer.stop();
    return { rows, stats };
  } finally {
    client?.kill();
    await envoy?.stop();
    await controlPlane?.stop();
    await cluster.stop();
  }
}

const echoCluster = 'outbound|50051||echo.demo.svc.cluster.local';

/** Polls Envoy's /clusters until pods 4 and 5 are DRAINING (five hosts) or gone (three). */
async function untilEnvoyShows(envoy: TestEnvoy, hosts: number, timeoutMs: number): Promise<void> {
  const deadline = now() + timeoutMs;
  for (;;) {
    const seen = await envoy.hosts(echoCluster);
    const done = hosts === 5 ? seen.filter((host) => host.edsHealth === 'DRAINING').length === 2 : seen.length === hosts;
    if (done) return;
    if (now() > deadline) throw new Error(`bench: Envoy did not show the change within ${timeoutMs} ms`);
    await sleep(2);
  }
}

/** 0 is "no such call after the apply", not a duration. */
function time(value: number): string {
  return value === 0 ? '0' : ms(value);
}
