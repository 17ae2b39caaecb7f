// Seeded fuzzing of the ADS server: hostile DiscoveryRequests and DeltaDiscoveryRequests on
// real streams, while well-behaved clients beside them must keep getting correct config.
// KUBE_XDS_FUZZ_CASES sets the number of cases (`npm run fuzz`: 10,000), KUBE_XDS_FUZZ_SEED
// the seed; a failure prints the command that replays it.
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clientClasses } from '../../envoy-config/resource-set.ts';
import { AdsFixture } from '../support/ads-fixture.ts';
import { captureLog } from '../support/capture-log.ts';
import { clusterName, handBuiltSnapshot, routeName, type HandBuiltService } from '../support/hand-built.ts';
import { waitFor } from '../support/wait.ts';
import { Bystanders } from './bystanders.ts';
import { requestCase, type Protocol } from './discovery-cases.ts';
import { FuzzStream } from './fuzz-stream.ts';
import { guardProcess } from './process-guard.ts';
import { fuzzConfig, Random, rerunHint } from './random.ts';

const config = fuzzConfig();
const file = 'fuzz/discovery-requests';
/** Cases per stream while it lives; a stream the server ends is replaced for the rest. */
const casesPerStream = 8;
const concurrentStreams = 8;
/** Streams between two checks of the bystanders. */
const streamsPerWave = 40;
/** The only statuses a hostile request may end its stream with. */
const clearStatuses = new Set([grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED, grpc.status.PERMISSION_DENIED]);

const watched: HandBuiltService = { target: 'watched.ns.svc.cluster.local:50051', endpoints: [{ address: '10.0.0.1', port: 50051 }] };
const other: HandBuiltService = { target: 'other.ns.svc.cluster.local:8080', endpoints: [{ address: '10.0.1.1', port: 8080 }, { address: '10.0.1.2', port: 8080, draining: true }] };
const probe: HandBuiltService = { target: 'fuzz-probe:1', endpoints: [] };
/** Names the generators know (and mutate); the probe's route is not among them. */
const knownNames = [watched, other].flatMap((service) => [service.target, routeName(service.target), clusterName(service.target)]);

interface Failure {
  readonly index: number;
  readonly streamFirst: number;
  readonly problem: string;
}

test(`${config.cases} hostile requests from seed ${config.seed}: clear statuses only, bystanders keep correct config`, async () => {
  const guard = guardProcess();
  const log = captureLog();
  const ads = await AdsFixture.start();
  const failures: Failure[] = [];
  const outcomes = { served: 0, ended: new Map<string, number>() };
  let generation = 0;
  const publish = () => {
    const moved: HandBuiltService = { ...watched, endpoints: [{ address: `10.1.${generation >> 8}.${generation & 255}`, port: 50051 }] };
    for (const clientClass of clientClasses) ads.set(handBuiltSnapshot([moved, other, probe]), clientClass);
    return moved.endpoints.map((endpoint) => endpoint.address);
  };
  try {
    publish();
    const bystanders = await Bystanders.connect(ads, watched);

    /** Runs cases [first, end) on one stream, opening another whenever the server ends it. */
    const runStream = async (first: number, end: number) => {
      const protocol: Protocol = Math.floor(first / casesPerStream) % 2 === 0 ? 'sotw' : 'delta';
      let stream: FuzzStream | undefined;
      let streamFirst = first;
      const fail = (index: number, problem: string) => failures.push({ index, streamFirst: first, problem: `${protocol} stream opened at case ${streamFirst}: ${problem}` });
      for (let index = first; index < end; index++) {
        if (!stream) {
          stream = new FuzzStream(ads.address, protocol, routeName(probe.target));
          streamFirst = index;
        }
        const fuzzCase = requestCase(Random.forCase(config, index), protocol, { names: knownNames }, index === streamFirst);
        stream.send(fuzzCase.bytes);
        let outcome;
        try {
          outcome = await stream.probe();
        } catch (error) {
          fail(index, `${(error as Error).message} after ${fuzzCase.description}`);
          stream.close();
          return;
        }
        for (const problem of stream.problems.splice(0)) fail(index, `${problem} after ${fuzzCase.description}`);
        if (outcome.answered) {
          outcomes.served++;
          continue;
        }
        const { code, details } = outcome.status;
        const name = grpc.status[code] ?? String(code);
        outcomes.ended.set(name, (outcomes.ended.get(name) ?? 0) + 1);
        if (!clearStatuses.has(code) || details === '') fail(index, `ended with ${name} "${details}" after ${fuzzCase.description}`);
        else if (fuzzCase.keepsStream) fail(index, `a valid request ended the stream with ${name} "${details}": ${fuzzCase.description}`);
        stream.close();
        stream = undefined;
      }
      stream?.close();
    };

    const last = config.first + config.cases;
    const streamStarts: number[] = [];
    for (let first = config.first; first < last; first = (Math.floor(first / casesPerStream) + 1) * casesPerStream) streamStarts.push(first);
    for (let wave = 0; wave * streamsPerWave < streamStarts.length; wave++) {
      const queue = streamStarts.slice(wave * streamsPerWave, (wave + 1) * streamsPerWave);
      const worker = async () => {
        for (let first = queue.shift(); first !== undefined; first = queue.shift()) {
          await runStream(first, Math.min(last, (Math.floor(first / casesPerStream) + 1) * casesPerStream));
        }
      };
      await Promise.all(Array.from({ length: concurrentStreams }, worker));
      generation++;
      const wrong = await bystanders.checkMovedTo(publish());
      if (wrong) failures.push({ index: -1, streamFirst: -1, problem: `after wave ${wave}: ${wrong}` });
    }

    const report = failures.slice(0, 10).map((failure) =>
      failure.index < 0 ? failure.problem : `case ${failure.index}: ${failure.problem.slice(0, 600)}\n    rerun: ${rerunHint(config, failure.streamFirst, failure.index - failure.streamFirst + 1, file)}`);
    assert.ok(failures.length === 0, `${failures.length} failing cases (seed ${config.seed}), the first ones:\n${report.join('\n')}`);
    assert.equal(guard.problems, []);
    assert.equal(log.lines.filter((line) => line.level === 'error').map((line) => `${line.msg}: ${String(line.details ?? line.error ?? '')}`), [], 'nothing logged as an error');
    assert.not.ok(ads.observed.closed.includes('internal-error'), 'no stream ended with an internal error');
    const ended = [...outcomes.ended.values()].reduce((sum, count) => sum + count, 0);
    assert.is(outcomes.served + ended, config.cases, 'every case was read by the server');
    // A fuzzer whose every case is refused at the door never reaches the protocol; one whose
    // every case is accepted never tries the refusals.
    if (config.cases >= 200) assert.ok(outcomes.served > config.cases * 0.3 && ended > config.cases * 0.05, `served ${outcomes.served}, ended ${JSON.stringify(Object.fromEntries(outcomes.ended))}`);
    await waitFor('the SotW bystander to have ACKed everything', () =>
      ads.server.streams().find((stream) => stream.nodeId === 'bystander-sotw')?.types.every((type) => type.sync === 'SYNCED'));
    console.log(`  discovery requests: ${config.cases} cases from seed ${config.seed}: ${outcomes.served} served, ended ${JSON.stringify(Object.fromEntries(outcomes.ended))}`);
  } finally {
    await ads.stop();
    log.restore();
    guard.release();
  }
});

test.run();
