// The kube source and Gateway API Routes against the fake API server: without the CRDs it
// is synced and ready with no Routes, installing them later is noticed, and each Route's
// status is written back beside other controllers' entries.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KubeSource, type KubeSourceOptions } from '../../k8s/kube-source.ts';
import { MESH_CONTROLLER_NAME } from '../../k8s/routes/route-status.ts';
import { captureLog } from '../support/capture-log.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { waitFor } from '../support/wait.ts';
import { backend, grpcRoute, service, serviceParent, type Json } from './fixtures.ts';

const fast: KubeSourceOptions = { backoff: { initialMs: 5, maxMs: 50 }, listTimeoutMs: 5_000, routeRecheckMs: 20 };

async function withSource(fake: FakeApiServer, options: KubeSourceOptions, body: (source: KubeSource) => Promise<void>): Promise<void> {
  const source = new KubeSource(fake.access(), { ...fast, ...options });
  try {
    await source.start();
    await body(source);
  } finally {
    await source.stop();
  }
}

const split = () => grpcRoute('split', { parentRefs: [serviceParent('echo')], rules: [{ backendRefs: [backend('echo-v1', 50051, { weight: 9 }), backend('echo-v2', 50051)] }] });

function ours(object: Json | undefined): Json[] {
  const parents = ((object?.status as Json | undefined)?.parents as Json[] | undefined) ?? [];
  return parents.filter((parent) => parent.controllerName === MESH_CONTROLLER_NAME);
}

test('without the Route CRDs: synced and connected at once, no Routes, only the core watches open', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  try {
    fake.apply('services', service('echo'));
    await withSource(fake, { routeRecheckMs: 60_000 }, async (source) => {
      assert.ok(source.status().synced);
      await waitFor('connected', () => source.status().connected);
      assert.equal(source.status().routes, { total: 0, withProblems: 0 });
      assert.is(source.services().get('default/echo')?.routes, undefined);
      await waitFor('the core watches', () => fake.openWatches('services') === 1 && fake.openWatches('endpointslices') === 1);
      assert.is(fake.openWatches('grpcroutes') + fake.openWatches('httproutes') + fake.openWatches('gateways'), 0);
      assert.equal([...fake.notFound].sort(), ['/apis/gateway.networking.k8s.io/v1/gateways', '/apis/gateway.networking.k8s.io/v1/grpcroutes', '/apis/gateway.networking.k8s.io/v1/httproutes']);
      assert.is(source.status().restarts, 0, 'a missing CRD is not a failure');
    });
    assert.equal(log.lines.filter((line) => line.level === 'warn' || line.level === 'error'), []);
  } finally {
    await fake.close();
    log.restore();
  }
});

test('CRDs installed later: the Routes appear without a restart; uninstalled, they go', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  try {
    fake.apply('services', service('echo'));
    fake.apply('services', service('echo-v1'));
    await withSource(fake, { writeRouteStatus: false }, async (source) => {
      const changes: string[] = [];
      source.onChange((changed) => changes.push(...changed));
      fake.installRouteCrds();
      fake.apply('grpcroutes', split());
      const routes = await waitFor('the Route\'s entries', () => source.services().get('default/echo')?.routes);
      assert.equal(routes.map((entry) => entry.backends.map((b) => `${b.name}:${b.resolved}`)), [['echo-v1:true', 'echo-v2:false']]);
      assert.ok(changes.includes('default/echo'));
      await waitFor('the Route watches', () => fake.openWatches('grpcroutes') === 1 && fake.openWatches('httproutes') === 1);
      // A backend appearing through the watch flips its share to resolved.
      fake.apply('services', service('echo-v2'));
      await waitFor('echo-v2 resolved', () => source.services().get('default/echo')?.routes?.[0]?.backends[1]?.resolved);
      assert.equal(source.status().routes, { total: 1, withProblems: 0 });
      fake.uninstallRouteCrds();
      await waitFor('the Route gone', () => source.services().get('default/echo')?.routes === undefined);
      assert.equal(source.status().routes, { total: 0, withProblems: 0 });
    });
  } finally {
    await fake.close();
    log.restore();
  }
});

test('status written back: our entry per Service parent, other controllers\' entries kept, written once', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  try {
    fake.installRouteCrds();
    fake.apply('services', service('echo'));
    fake.apply('services', service('echo-v1'));
    const theirs = {
      parentRef: { name: 'gw' },
      controllerName: 'example.net/gateway',
      conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' }],
    };
    fake.apply('grpcroutes', { ...split(), spec: { ...(split().spec as Json), parentRefs: [serviceParent('echo'), { name: 'gw' }] }, status: { parents: [theirs] } });
    await withSource(fake, {}, async (source) => {
      const written = await waitFor('our status entry', () => ours(fake.get('grpcroutes', 'default', 'split'))[0]);
      assert.equal(written.parentRef, { group: '', kind: 'Service', name: 'echo' });
      const conditions = written.conditions as Json[];
      assert.equal(conditions.map((c) => [c.type, c.status, c.reason, c.observedGeneration]), [
        ['Accepted', 'True', 'Accepted', 1],
        ['ResolvedRefs', 'False', 'BackendNotFound', 1],
      ]);
      assert.match(String(conditions[1]!.message), /Service default\/echo-v2 does not exist/);
      assert.match(String(conditions[0]!.lastTransitionTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const stored = fake.get('grpcroutes', 'default', 'split')!;
      assert.equal(((stored.status as Json).parents as Json[])[0], theirs, 'the other controller\'s entry, untouched and first');
      const first = fake.statusWrites[0]!;
      assert.is(first.status, 200);
      assert.ok((first.patch.metadata as Json).resourceVersion, 'the patch is conditional on the version it was read at');
      assert.equal(source.routeStatuses().get('GRPCRoute/default/split')?.parents.length, 1);

      // The backend appears: the condition turns True, Accepted keeps its transition time.
      fake.apply('services', service('echo-v2'));
      const resolved = await waitFor('ResolvedRefs True', () => {
        const entry = ours(fake.get('grpcroutes', 'default', 'split'))[0];
        const conditionsNow = (entry?.conditions as Json[] | undefined) ?? [];
        return conditionsNow.find((c) => c.type === 'ResolvedRefs')?.status === 'True' ? conditionsNow : undefined;
      });
      assert.is(resolved[0]!.lastTransitionTime, conditions[0]!.lastTransitionTime);
      // The watch echoes our own write back: it must not be written again. A later, unrelated
      // write proves the echo was handled (the writer works in order).
      const okWrites = fake.statusWrites.filter((w) => w.status === 200).length;
      assert.is(okWrites, 2);
      fake.apply('grpcroutes', { ...split(), spec: { ...(split().spec as Json), parentRefs: [serviceParent('echo'), serviceParent('missing'), { name: 'gw' }] } });
      await waitFor('two entries of ours', () => ours(fake.get('grpcroutes', 'default', 'split')).length === 2);
      assert.is(fake.statusWrites.filter((w) => w.status === 200).length, 3);
      const missing = ours(fake.get('grpcroutes', 'default', 'split'))[1]!;
      assert.equal((missing.conditions as Json[]).map((c) => [c.type, c.status, c.reason, c.observedGeneration]), [
        ['Accepted', 'False', 'NoMatchingParent', 2],
        ['ResolvedRefs', 'True', 'ResolvedRefs', 2],
      ]);
      assert.equal(((fake.get('grpcroutes', 'default', 'split')!.status as Json).parents as Json[])[0], theirs);
    });
  } finally {
    await fake.close();
    log.restore();
  }
});

test('a status write refused with 409 (another writer won) is made again', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  try {
    fake.installRouteCrds();
    fake.apply('services', service('echo'));
    fake.apply('grpcroutes', split());
    fake.conflictStatusWrites(2);
    await withSource(fake, {}, async () => {
      await waitFor('our entry, in the end', () => ours(fake.get('grpcroutes', 'default', 'split')).length === 1);
      assert.equal(fake.statusWrites.map((write) => write.status), [409, 409, 200]);
    });
  } finally {
    await fake.close();
    log.restore();
  }
});

test.run();
