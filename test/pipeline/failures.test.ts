// When a build or a publish fails: a class whose first snapshot could not be published, or
// whose Envoy routing could not be rebuilt, catches up at the next change of any kind; a
// refused rebuild of a Service keeps its newest endpoints, not those of its last good build.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { clientClasses, type ClientClass } from '../../envoy-config/resource-set.ts';
import type { ServiceModel } from '../../k8s/model.ts';
import { envoyConfigBuilders, type Builders } from '../../pipeline/builders.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { captureLog } from '../support/capture-log.ts';
import { MemorySource } from '../support/memory-source.ts';
import { waitFor } from '../support/wait.ts';
import { assertMatchesFullBuild, options, service } from './fixtures.ts';

interface Running { source: MemorySource; cache: SnapshotCache; pipeline: SnapshotPipeline }
const test = suite<{ running: Running[] }>('pipeline failures', { running: [] });
test.after.each((context) => {
  for (const { pipeline } of context.running) pipeline.stop();
  context.running = [];
});

function pipelineWith(context: { running: Running[] }, builders: Builders): Running {
  const source = new MemorySource();
  const cache = new SnapshotCache();
  const running = { source, cache, pipeline: new SnapshotPipeline(source, cache, options, builders) };
  context.running.push(running);
  return running;
}

type RoutingFailure = 'throw' | 'duplicate' | undefined;

/**
 * The real builders, but Envoy's routing for `clientClass` fails as `failure()` says at the
 * time: placing a virtual host throws, or the fixed listeners come twice (then the snapshot
 * cannot be made, though the routing was built).
 */
function routingFailing(clientClass: ClientClass, failure: () => RoutingFailure): Builders {
  return {
    ...envoyConfigBuilders,
    envoyRoutingLayout: (forClass, envoy) => {
      const layout = envoyConfigBuilders.envoyRoutingLayout(forClass, envoy);
      if (!layout || forClass !== clientClass) return layout;
      return {
        ...layout,
        fixedListeners: () => (failure() === 'duplicate' ? [...layout.fixedListeners(), ...layout.fixedListeners()] : layout.fixedListeners()),
        routeConfigOf: (port) => {
          if (failure() === 'throw') throw new Error('injected routing failure');
          return layout.routeConfigOf(port);
        },
      };
    },
  };
}

async function flushed({ pipeline }: Running, count: number): Promise<void> {
  await waitFor(`flush ${count}`, () => pipeline.stats().flushes === count);
}

for (const how of ['throw', 'duplicate'] as const) {
  test(`a class whose first publish failed (routing: ${how}) gets everything at the next change, even an endpoints-only one`, async (context) => {
    let failure: RoutingFailure = how;
    const running = pipelineWith(context, routingFailing('gateway', () => failure));
    running.source.put(service('cart', ['10.0.0.1']), service('pay', ['10.0.1.1']));
    const captured = captureLog();
    try {
      running.pipeline.start();
      assert.is(running.cache.get('gateway'), undefined, 'the gateway class is not ready');
      assert.ok(running.cache.get('proxyless') && running.cache.get('sidecar'), 'the other classes are');
      failure = undefined;
      running.source.put(service('cart', ['10.0.0.1', '10.0.0.2']));
      await flushed(running, 1);
    } finally {
      captured.restore();
    }
    assert.is(running.pipeline.stats().endpointOnlyFlushes, 1);
    assertMatchesFullBuild(running);
    const messages = captured.lines.map(({ level, msg, class: clientClass }) => `${level} ${msg} ${clientClass}`);
    assert.ok(messages.includes('error cannot publish a snapshot; the next change tries again gateway'), messages.join('\n'));
    assert.ok(messages.includes('info a client class is ready after an earlier failure gateway'), messages.join('\n'));
  });
}

test('a class that stays unpublishable is tried again at every change, and the others are still patched', async (context) => {
  let failing = true;
  const running = pipelineWith(context, routingFailing('sidecar', () => (failing ? 'throw' : undefined)));
  running.source.put(service('cart', ['10.0.0.1']));
  running.pipeline.start();
  running.source.put(service('pay', ['10.0.1.1']));
  await flushed(running, 1);
  assert.is(running.cache.get('sidecar'), undefined);
  assert.ok(running.cache.get('gateway')!.resources(TypeUrl.Cluster).has('outbound|50051||pay.shop.svc.cluster.local'));
  failing = false;
  running.source.remove('shop/cart');
  await flushed(running, 2);
  assertMatchesFullBuild(running);
});

test('a ready class whose Envoy routing failed to rebuild gets it at the next change, even an endpoints-only one', async (context) => {
  let failure: RoutingFailure;
  const running = pipelineWith(context, routingFailing('gateway', () => failure));
  running.source.put(service('cart', ['10.0.0.1']));
  running.pipeline.start();
  const routesBefore = running.cache.get('gateway')!.version(TypeUrl.Route);
  failure = 'throw';
  running.source.put(service('web', ['10.0.2.1']));
  await flushed(running, 1);
  const gateway = running.cache.get('gateway')!;
  assert.ok(gateway.resources(TypeUrl.Cluster).has('outbound|50051||web.shop.svc.cluster.local'), "web's cluster is published");
  assert.is(gateway.version(TypeUrl.Route), routesBefore, 'the routes are as before');
  const routesWithoutWeb = gateway.version(TypeUrl.Route);
  failure = undefined;
  running.source.put(service('cart', ['10.0.0.2']));
  await flushed(running, 2);
  assert.is(running.pipeline.stats().endpointOnlyFlushes, 1);
  assert.is.not(running.cache.get('gateway')!.version(TypeUrl.Route), routesWithoutWeb, "the gateway's routes now include web");
  assertMatchesFullBuild(running);
});

/** The real builders, but a Service's build throws while it has the annotation `test/fail`. */
const failingOnAnnotation: Builders = {
  ...envoyConfigBuilders,
  serviceResources: (model, clientClass, envoy) => {
    if (model.annotations['test/fail']) throw new Error('injected build failure');
    return envoyConfigBuilders.serviceResources(model, clientClass, envoy);
  },
};

const refusedRebuilds: Array<{ why: string; of: (newer: ServiceModel) => ServiceModel; stat: 'conflictingServices' | 'failedBuilds' }> = [
  {
    why: 'its resource names clash',
    of: () => service('cart', ['10.0.0.9'], [{ name: 'a', port: 9000 }, { name: 'b', port: 9000 }]),
    stat: 'conflictingServices',
  },
  { why: 'its build throws', of: (newer) => ({ ...newer, annotations: { 'test/fail': 'yes' } }), stat: 'failedBuilds' },
];

for (const { why, of, stat } of refusedRebuilds) {
  test(`a rebuild refused because ${why} keeps the endpoints of the fast path since the last good build`, async (context) => {
    const running = pipelineWith(context, failingOnAnnotation);
    const pay = service('pay', ['10.0.1.1']);
    running.source.put(service('cart', ['10.0.0.1']), pay);
    running.pipeline.start();
    const newer = service('cart', ['10.0.0.1', '10.0.0.2']);
    running.source.put(newer);
    await flushed(running, 1);
    assert.is(running.pipeline.stats().endpointOnlyFlushes, 1);
    const published = new Map(clientClasses.map((clientClass) => [clientClass, running.cache.get(clientClass)]));

    running.source.put(of(newer));
    await flushed(running, 2);
    assert.is(running.pipeline.stats()[stat], 1);
    assertMatchesFullBuild(running, [newer, pay]);
    for (const clientClass of clientClasses) assert.is(running.cache.get(clientClass), published.get(clientClass), `${clientClass}: nothing changed`);

    const latest = service('cart', ['10.0.0.3']);
    running.source.put(latest);
    await flushed(running, 3);
    assert.is(running.pipeline.stats().endpointOnlyFlushes, 2, 'back to the last good shape: the fast path');
    assert.is(running.pipeline.stats().conflictingServices, 0);
    assertMatchesFullBuild(running);
  });
}

test.run();
