// Real gRPC clients (the test peers: grpc-go, grpc-java, C-core new and old, grpc-js) against
// the control plane as users run it (the CLI, Kubernetes source on the fake API server), with
// Go backends on 127.0.0.2-6 playing pods. One client at a time, calling at a steady rate:
//   scale-up: from one pod to five; timed from api.apply() to the first call answered by a
//     new pod, and until all five answered. Every round uses five new pods on a new port.
//   redeploy: the Service and its slice deleted (once the client ACKed the emptied EDS),
//     then applied again with a new slice of new pods (pod-N-vK on another port); timed
//     from api.apply() to the first call answered by a new pod.
// Times end when this process receives the client's `call` line.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { Cluster, grpcPort, podAddresses, target, type Pod } from '../e2e/support.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { PeerClient, selectedClients, type ClientName, type PeerBackends } from '../support/peers.ts';
import { waitFor } from '../support/wait.ts';
import { firstCall, startPods } from './peer-timing.ts';
import { heading, ms, note, now, percentiles, sleep, table, until } from './stats.ts';

const scaleRounds = 5;
const redeployRounds = 3;
const rate = 200;
const waitMs = 15_000;

interface World {
  readonly cluster: Cluster;
  readonly controlPlane: CliControlPlane;
  /** The name of the Service's one EndpointSlice now (a redeploy writes a new one). */
  slice: string;
  slices: number;
}

interface Result {
  readonly label: string;
  readonly firstCallMs: number;
  readonly firstNew: number[];
  readonly allFive: number[];
  readonly redeploy: number[];
  readonly scaleFailures: number;
  /** Calls that failed between a deletion and the first call on the new pods, by code. */
  readonly redeployFailures: Map<string, number>;
  /** Failed calls anywhere else (moving to the next round's pod), by code. */
  readonly otherFailures: Map<string, number>;
}

export async function run(): Promise<void> {
  const names = selectedClients();
  heading(`real gRPC clients: scale-up (${scaleRounds} rounds) and redeploy (${redeployRounds} rounds), one client at a time`);
  note(`clients: ${names.join(', ')}, each calling at ${rate}/s (xds:///, round_robin), one after another so none`);
  note('competes with another for the 2 cores; control plane: the CLI in its own process (Kubernetes source on');
  note('the fake API server); pods: Go backends on 127.0.0.2-6, five new ones on a new port every round.');

  const cluster = await Cluster.start({ pods: [] });
  const results: Result[] = [];
  let controlPlane: CliControlPlane | undefined;
  try {
    controlPlane = await CliControlPlane.start(cluster.serveArgs());
    const world: World = { cluster, controlPlane, slice: 'echo-abcde', slices: 0 };
    for (const name of names) results.push(await measure(world, name));
    const nacks = await controlPlane.nacks();

    console.log();
    console.log(table(
      ['client', 'scale-up: first new p50', 'max', 'all five p50', 'max', 'redeploy: first call p50', 'max', 'failed (scale-ups)'],
      results.map((result) => {
        const firstNew = percentiles(result.firstNew);
        const allFive = percentiles(result.allFive);
        const redeploy = percentiles(result.redeploy);
        return [result.label, ms(firstNew.p50), ms(firstNew.max), ms(allFive.p50), ms(allFive.max), ms(redeploy.p50), ms(redeploy.max), String(result.scaleFailures)];
      }),
    ));
    note('Times run from api.apply() to this process reading the client\'s `call` line: they include the pipe');
    note(`and the call itself, and a call interval of ${1_000 / rate} ms at most (a new pod answers the next call that`);
    note('picks it). Redeploy: the Service came back with new pods only, so calls before that first one failed');
    note('fast (UNAVAILABLE) or, for grpc-java, still went to the old pods (it keeps the last endpoints).');
    for (const result of results) {
      const codes = (failures: Map<string, number>) => (failures.size ? [...failures].map(([code, n]) => `${n} ${code}`).join(', ') : 'none');
      note(`${result.label}: first call after start ${ms(result.firstCallMs)}; failed while the Service was deleted: ${codes(result.redeployFailures)}; elsewhere: ${codes(result.otherFailures)}`);
    }
    if (names.includes('c-core-debian')) {
      note('c-core-debian (C-core 1.51, synchronous Python): while every call fails fast nothing polls its channel,');
      note('so it reads the ADS stream only when its backup poller runs (every 5 s): its redeploy time is set by');
      note('that poller, not by the control plane, which sends the new EDS right after the apply.');
    }
    note(`NACKs recorded by the control plane: ${nacks}`);
  } finally {
    await controlPlane?.stop();
    await cluster.stop();
  }
}

async function measure(world: World, name: ClientName): Promise<Result> {
  const { cluster, controlPlane } = world;
  const nodeId = `bench-${name}`;
  const firstNew: number[] = [];
  const allFive: number[] = [];
  const redeploy: number[] = [];
  const redeployFailures = new Map<string, number>();
  const otherFailures = new Map<string, number>();
  let scaleFailures = 0;
  const setPods = (pods: readonly Pod[]) => cluster.setEndpoints('echo', pods.map((pod) => [pod, 'ready'] as const), { slice: world.slice });

  /** Every backend process still running, so a failed round stops them too. */
  const live = new Set<PeerBackends>();
  const newPods = async (names: string[]) => {
    const set = await startPods(names);
    live.add(set.backends);
    return set;
  };
  const retire = async (backends: PeerBackends) => {
    live.delete(backends);
    await backends.stop();
  };
  let current = await newPods(freshPodNames('s0-'));
  setPods(current.pods.slice(0, 1));
  const bootstrap = join(cluster.dir, `${name}.json`);
  writeFileSync(bootstrap, bootstrapText(['grpc', '--xds-address', controlPlane.xdsAddress, '--node-id', nodeId, '--zone', 'zone-a']));
  const started = now();
  const client = PeerClient.start(name, { target: `xds:///${target}`, bootstrap, rate });
  let stopped = false;
  /** Failures from `from` on (an index into client.failures), added to `into` by code. */
  const tally = (from: number, into: Map<string, number>) => {
    for (const failure of client.failures.slice(from)) into.set(failure.code, (into.get(failure.code) ?? 0) + 1);
  };
  try {
    await client.waitToReach([current.pods[0]!.name], 0, 30_000);
    const firstCallMs = client.calls[0]!.at - started;
    let failuresSeen = client.failures.length;

    for (let round = 0; round < scaleRounds; round++) {
      if (round > 0) {
        // Down to the first of five new pods; the last round's pods go once it is all that answers.
        const next = await newPods(freshPodNames(`s${round}-`));
        setPods(next.pods.slice(0, 1));
        await untilSettled(client, [next.pods[0]!.name]);
        await retire(current.backends);
        current = next;
      } else {
        await untilSettled(client, [current.pods[0]!.name]);
      }
      tally(failuresSeen, otherFailures);
      const mark = client.mark;
      failuresSeen = client.failures.length;
      const start = now();
      setPods(current.pods);
      const all = current.pods.map((pod) => pod.name);
      await until(`${name} to reach all five pods (round ${round})`, () => client.reached(all, mark), waitMs, 5);
      const fresh = firstCall(client, mark, new Set(all.slice(1)));
      firstNew.push(client.calls[fresh]!.at - start);
      allFive.push(Math.max(...all.map((pod) => client.calls[firstCall(client, mark, new Set([pod]))]!.at)) - start);
      scaleFailures += client.failures.length - failuresSeen;
      failuresSeen = client.failures.length;
      await sleep(20);
    }

    for (let round = 0; round < redeployRounds; round++) {
      const next = await newPods(freshPodNames('', `-v${round + 2}`));
      const before = (await controlPlane.ackedVersions(TypeUrl.Endpoint)).get(nodeId);
      tally(failuresSeen, otherFailures);
      failuresSeen = client.failures.length;
      cluster.deleteService('echo', world.slice);
      await waitFor(`${name} to ACK the deletion`, async () => {
        const after = (await controlPlane.ackedVersions(TypeUrl.Endpoint)).get(nodeId);
        return after !== undefined && after !== before;
      }, { timeoutMs: waitMs, intervalMs: 5 });
      const mark = client.mark;
      world.slice = `echo-r${++world.slices}`;
      const start = now();
      cluster.applyService('echo', [grpcPort]);
      setPods(next.pods);
      const names = new Set(next.pods.map((pod) => pod.name));
      await until(`${name} to call a new pod after the redeploy (round ${round})`, () => firstCall(client, mark, names) >= 0, waitMs, 5);
      redeploy.push(client.calls[firstCall(client, mark, names)]!.at - start);
      tally(failuresSeen, redeployFailures);
      failuresSeen = client.failures.length;
      await untilSettled(client, [...names]);
      await retire(current.backends);
      current = next;
    }
    tally(failuresSeen, otherFailures);
    stopped = true;
    await client.stop();
    return { label: `${name} ${client.version ?? '?'}`, firstCallMs, firstNew, allFive, redeploy, scaleFailures, redeployFailures, otherFailures };
  } finally {
    if (!stopped) client.kill();
    await Promise.all([...live].map(retire));
  }
}

function freshPodNames(prefix: string, suffix = ''): string[] {
  return podAddresses.map((_, i) => `${prefix}pod-${i + 1}${suffix}`);
}

/** Until the client's last 20 calls all went to `names`. */
function untilSettled(client: PeerClient, names: readonly string[]): Promise<void> {
  const set = new Set(names);
  return until(`${client.name} to call only ${names.join(', ')}`, () => client.settledOn(set, 20), waitMs, 5);
}

