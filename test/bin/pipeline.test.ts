// The pipeline from a model source to the snapshot cache: what it publishes equals a full
// build, endpoint-only changes take the fast path, changes are coalesced, and one bad
// Service cannot block the others.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotPipeline } from '../../bin/pipeline.ts';
import { Snapshot } from '../../control-plane/snapshot.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { pushOrder, TypeUrl } from '../../control-plane/types.ts';
import { buildResourceSet } from '../../envoy-config/build.ts';
import { envoyConfigOptions } from '../../envoy-config/options.ts';
import { clientClasses } from '../../envoy-config/resource-set.ts';
import type { ServiceModel } from '../../k8s/model.ts';
import { MemorySource } from '../support/memory-source.ts';
import { waitFor } from '../support/wait.ts';

function service(name: string, addresses: string[], ports: Array<{ name: string; port: number }> = [{ name: 'grpc', port: 50051 }]): ServiceModel {
  return {
    namespace: 'shop',
    name,
    ipFamily: 'IPv4',
    annotations: {},
    ports: ports.map((port) => ({
      ...port,
      protocol: 'TCP',
      appProtocol: 'grpc',
      endpoints: addresses.map((address) => ({ address, port: port.port, zone: 'a', health: 'HEALTHY' as const })),
    })),
  };
}

const options = { envoy: envoyConfigOptions(), coalesceWindowMs: 5, coalesceMaxDelayMs: 50 };

interface Context { source: MemorySource; cache: SnapshotCache; pipeline: SnapshotPipeline }
const test = suite<Context>('pipeline', {} as Context);
test.before.each((context) => {
  context.source = new MemorySource();
  context.cache = new SnapshotCache();
  context.pipeline = new SnapshotPipeline(context.source, context.cache, options);
});
test.after.each(({ pipeline }) => pipeline.stop());

/** Every class's published snapshot has exactly the versions of a full build of the model. */
function assertMatchesFullBuild({ source, cache }: Context): void {
  for (const clientClass of clientClasses) {
    const set = buildResourceSet(source.services().values(), clientClass, options.envoy);
    const expected = Snapshot.fromMessages({
      [TypeUrl.Cluster]: set.clusters, [TypeUrl.Endpoint]: set.endpoints, [TypeUrl.Listener]: set.listeners, [TypeUrl.Route]: set.routes,
    });
    for (const type of pushOrder) {
      assert.is(cache.get(clientClass)!.version(type), expected.version(type), `${clientClass} ${type}`);
    }
  }
}

test('start publishes every class, equal to a full build', (context) => {
  context.source.put(service('cart', ['10.0.0.1']), service('pay', ['10.0.1.1', '10.0.1.2']));
  context.pipeline.start();
  assertMatchesFullBuild(context);
});

test('an endpoint-only change patches EDS alone, and the result still equals a full build', async (context) => {
  context.source.put(service('cart', ['10.0.0.1']), service('pay', ['10.0.1.1']));
  context.pipeline.start();
  const before = context.cache.get('gateway')!;
  context.source.put(service('cart', ['10.0.0.1', '10.0.0.2']));
  await waitFor('the flush', () => context.pipeline.stats().flushes === 1);
  assert.is(context.pipeline.stats().endpointOnlyFlushes, 1);
  const after = context.cache.get('gateway')!;
  for (const type of [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.Route]) assert.is(after.resources(type), before.resources(type));
  assert.is.not(after.version(TypeUrl.Endpoint), before.version(TypeUrl.Endpoint));
  assertMatchesFullBuild(context);
});

test('shape changes, new and removed Services are patched in and match a full build', async (context) => {
  context.source.put(service('cart', ['10.0.0.1']));
  context.pipeline.start();
  context.source.put(service('cart', ['10.0.0.1'], [{ name: 'grpc', port: 50051 }, { name: 'http', port: 8080 }]), service('pay', ['10.0.1.1']));
  await waitFor('the first flush', () => context.pipeline.stats().flushes === 1);
  assert.is(context.pipeline.stats().endpointOnlyFlushes, 0);
  assertMatchesFullBuild(context);
  context.source.remove('shop/pay');
  await waitFor('the second flush', () => context.pipeline.stats().flushes === 2);
  assertMatchesFullBuild(context);
  assert.not.ok([...context.cache.get('proxyless')!.resources(TypeUrl.Cluster).keys()].some((name) => name.includes('pay')));
  assert.ok(context.cache.get('sidecar')!.resources(TypeUrl.Listener).has('sidecar_8080'));
  context.source.put(service('cart', ['10.0.0.1']));
  await waitFor('the third flush', () => context.pipeline.stats().flushes === 3);
  assertMatchesFullBuild(context);
  assert.not.ok(context.cache.get('sidecar')!.resources(TypeUrl.Listener).has('sidecar_8080'), 'a port no Service has any more loses its listener');
});

test('changes inside the window are applied together; a steady stream still flushes by the max delay', async (context) => {
  context.source.put(service('cart', ['10.0.0.1']));
  context.pipeline.start();
  for (let i = 2; i < 10; i++) context.source.put(service('cart', [`10.0.0.${i}`]));
  await waitFor('the flush', () => context.pipeline.stats().flushes === 1);
  assert.is(context.pipeline.stats().flushes, 1);

  let sent = 0;
  for (; sent < 1_000 && context.pipeline.stats().flushes === 1; sent++) {
    context.source.put(service('cart', [`10.0.1.${sent % 250}`]));
    await new Promise((resolve) => setTimeout(resolve, 2)); // quieter than never, noisier than the window
  }
  assert.ok(context.pipeline.stats().flushes > 1, 'a flush happened while changes kept coming');
});

test('a Service whose resource names clash is left out; every class is still published', (context) => {
  const clashing = service('dup', ['10.0.2.1'], [{ name: 'a', port: 9000 }, { name: 'b', port: 9000 }]);
  context.source.put(service('cart', ['10.0.0.1']), clashing);
  context.pipeline.start();
  for (const clientClass of clientClasses) {
    const clusters = [...context.cache.get(clientClass)!.resources(TypeUrl.Cluster).keys()];
    assert.ok(clusters.some((name) => name.includes('cart')), `${clientClass} still has cart`);
    assert.not.ok(clusters.some((name) => name.includes('dup')), `${clientClass} leaves dup out`);
  }
  assert.is(context.pipeline.stats().conflictingServices, 1);
});

test.run();
