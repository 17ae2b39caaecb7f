// Seeded fuzzing of the Kubernetes object path (k8s/normalize.ts through the ModelStore the
// sources feed): each hostile Service or EndpointSlice is skipped, logged once and counted,
// leaves the previous good version and every other model alone, and a valid one, however
// odd, is accepted with the model it must give. KUBE_XDS_FUZZ_CASES / _SEED / _FIRST as in
// random.ts; a failure prints the command that replays it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubeXdsError } from '../../common/errors.ts';
import { readRef, type ObjectKind } from '../../k8s/normalize.ts';
import { ModelStore } from '../../k8s/store.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import { kubeCase, type KubeCase } from './kube-cases.ts';
import { validService, validSlice, type Json } from './kube-objects.ts';
import { checkEndpoints, checkServiceModel } from './model-checks.ts';
import { fuzzConfig, Random, rerunHint } from './random.ts';

const config = fuzzConfig();
const file = 'fuzz/kubernetes-objects';
const skipped = 'skipping a malformed Kubernetes object';
/** Longest message a bad object may log: values are previewed and names cut, whatever their size. */
const maxMessageLength = 2_000;

/** A good Service with a slice, in a namespace no case uses: nothing may touch its model. */
const anchorRandom = new Random(1);
const anchor = validService(anchorRandom, { namespace: 'fuzz-anchor-namespace', name: 'anchor' });
const anchorSlice = validSlice(anchorRandom, { namespace: 'fuzz-anchor-namespace', name: 'anchor' }, anchor.expect.ports.map((port) => port.name), anchor.expect.ipFamily);

function apply(store: ModelStore, kind: ObjectKind, object: unknown): void {
  if (kind === 'Service') store.applyService(object);
  else store.applySlice(object);
}

function remove(store: ModelStore, kind: ObjectKind, object: unknown): void {
  if (kind === 'Service') store.deleteService(object);
  else store.deleteSlice(object);
}

function readable(kind: ObjectKind, object: unknown): string | undefined {
  try {
    const ref = readRef(kind, object);
    return `${ref.namespace}/${ref.name}`;
  } catch {
    return undefined;
  }
}

/** Runs one case on a store of its own; returns what went wrong, and whether it was rejected. */
function runCase(fuzzCase: KubeCase, log: CapturedLog): { problem?: string; rejected: boolean } {
  const errors: KubeXdsError[] = [];
  const store = new ModelStore({ onBadObject: (error) => errors.push(error) });
  store.applyService(anchor.object);
  store.applySlice(anchorSlice.object);
  const anchorModel = store.services().get(anchor.expect.key);
  for (const { kind, object } of fuzzCase.setup) apply(store, kind, object);
  if (store.badObjects > 0) return { problem: `a valid setup object was rejected: ${errors[0]?.message}`, rejected: false };
  const before = new Map(store.services());
  const linesBefore = log.lines.length;

  try {
    apply(store, fuzzCase.kind, fuzzCase.object);
  } catch (error) {
    return { problem: `the store threw: ${(error as Error).stack?.slice(0, 500)}`, rejected: false };
  }
  const lines = log.lines.slice(linesBefore);
  const rejected = store.badObjects === 1;
  const ref = readable(fuzzCase.kind, fuzzCase.object);
  const problem = (() => {
    if (store.badObjects > 1 || errors.length !== store.badObjects) return `counted ${store.badObjects} times, reported ${errors.length}`;
    const logged = lines.filter((line) => line.msg === skipped);
    if (logged.length !== store.badObjects) return `logged ${logged.length} times, counted ${store.badObjects}`;
    if (lines.some((line) => line.level === 'error')) return `logged an error: ${JSON.stringify(lines.find((line) => line.level === 'error')).slice(0, 300)}`;
    if (store.services().get(anchor.expect.key) !== anchorModel) return 'the anchor Service model changed';
    if (fuzzCase.verdict === 'rejected' && !rejected) return 'accepted an object the API server refuses';
    if (fuzzCase.verdict === 'accepted' && rejected) return `rejected a valid object: ${errors[0]!.message.slice(0, 300)}`;
    if (rejected) {
      const error = errors[0]!;
      if (error.message.length > maxMessageLength || String(logged[0]!.error).length > maxMessageLength) return `a ${error.message.length}-character message`;
      if (fuzzCase.field && !String(error.context.field).startsWith(fuzzCase.field)) return `the error names ${String(error.context.field)}, not ${fuzzCase.field}: ${error.message.slice(0, 200)}`;
      if (store.rejectedObjects !== (ref === undefined ? 0 : 1)) return `rejectedObjects ${store.rejectedObjects}`;
      if (store.services().size !== before.size || [...before].some(([key, model]) => store.services().get(key) !== model)) return 'a rejected object changed the model';
    } else if (fuzzCase.verdict === 'accepted') {
      const model = store.services().get(fuzzCase.service!.key);
      const wrong = fuzzCase.kind === 'Service' ? checkServiceModel(model, fuzzCase.service!) : undefined;
      if (wrong) return wrong;
      return checkEndpoints(model, fuzzCase.service!, fuzzCase.slice);
    }
    return undefined;
  })();
  if (problem) return { problem, rejected };

  // Deleting it again: by reference alone, even after a rejection.
  const badBefore = store.badObjects;
  try {
    remove(store, fuzzCase.kind, fuzzCase.object);
  } catch (error) {
    return { problem: `deleting threw: ${(error as Error).message}`, rejected };
  }
  if (store.badObjects !== badBefore + (ref === undefined ? 1 : 0)) return { problem: `deleting counted ${store.badObjects - badBefore} bad objects`, rejected };
  if (store.rejectedObjects !== 0) return { problem: `${store.rejectedObjects} still rejected after the deletion`, rejected };
  if (ref !== undefined && fuzzCase.kind === 'Service' && store.services().has(ref)) return { problem: 'the Service outlived its deletion', rejected };
  // (Random damage may have moved the object to another name, away from its previous version.)
  const previousVersionsGone = fuzzCase.setup.every(({ kind, object }) => kind !== fuzzCase.kind || readable(kind, object) === ref);
  if (ref !== undefined && fuzzCase.kind === 'EndpointSlice' && fuzzCase.service && previousVersionsGone) {
    const endpoints = store.services().get(fuzzCase.service.key)?.ports.flatMap((port) => port.endpoints) ?? [];
    if (endpoints.length > 0) return { problem: `${endpoints.length} endpoints outlived their slice`, rejected };
  }
  if (store.services().get(anchor.expect.key) !== anchorModel) return { problem: 'the anchor Service model changed on deletion', rejected };
  return { rejected };
}

test(`${config.cases} hostile Services and EndpointSlices from seed ${config.seed}: skipped, logged once, counted; valid ones served`, () => {
  const log = captureLog();
  const failures: string[] = [];
  const tally = { rejected: 0, accepted: 0, byVerdict: new Map<string, number>() };
  try {
    for (let index = config.first; index < config.first + config.cases; index++) {
      const fuzzCase = kubeCase(Random.forCase(config, index));
      const { problem, rejected } = runCase(fuzzCase, log);
      log.lines.length = 0;
      tally[rejected ? 'rejected' : 'accepted']++;
      tally.byVerdict.set(fuzzCase.verdict, (tally.byVerdict.get(fuzzCase.verdict) ?? 0) + 1);
      if (problem) failures.push(`case ${index}: ${problem}\n    ${fuzzCase.description.slice(0, 300)}\n    rerun: ${rerunHint(config, index, 1, file)}`);
    }
  } finally {
    log.restore();
  }
  assert.ok(failures.length === 0, `${failures.length} failing cases (seed ${config.seed}), the first ones:\n${failures.slice(0, 10).join('\n')}`);
  if (config.cases >= 200) {
    // Both sides of the line are drawn often, or the campaign proves little.
    assert.ok(tally.rejected > config.cases * 0.3 && tally.accepted > config.cases * 0.15, `${tally.rejected} rejected, ${tally.accepted} accepted`);
  }
  console.log(`  kubernetes objects: ${config.cases} cases from seed ${config.seed}: ${tally.rejected} rejected, ${tally.accepted} accepted; verdicts ${JSON.stringify(Object.fromEntries(tally.byVerdict))}`);
});

test('the anchor itself is a valid Service with endpoints', () => {
  const store = new ModelStore();
  store.applyService(anchor.object as Json);
  store.applySlice(anchorSlice.object as Json);
  assert.is(store.badObjects, 0);
  assert.is(checkServiceModel(store.services().get(anchor.expect.key), anchor.expect), undefined);
  assert.is(checkEndpoints(store.services().get(anchor.expect.key), anchor.expect, anchorSlice.expect), undefined);
});

test.run();
