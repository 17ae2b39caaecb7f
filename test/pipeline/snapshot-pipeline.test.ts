// The pipeline from a model source to the snapshot cache: what it publishes equals a full
// build, endpoint-only changes take the fast path, changes are coalesced, one bad Service
// cannot block the others, and each flush is one debug line.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { setLogLevel } from '../../common/log.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { clientClasses } from '../../envoy-config/resource-set.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { AdsFixture } from '../support/ads-fixture.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import { MemorySource } from '../support/memory-source.ts';
import { grpcNode } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';
import { assertMatchesFullBuild, options, service } from './fixtures.ts';

interface Context { source: MemorySource; cache: SnapshotCache; pipeline: SnapshotPipeline }
const test = suite<Context>('pipeline', {} as Context);
test.before.each((context) => {
  context.source = new MemorySource();
  context.cache = new SnapshotCache();
  context.pipeline = new SnapshotPipeline(context.source, context.cache, options);
});
test.after.each(({ pipeline }) => pipeline.stop());

test('start publishes every class, equal to a full build', (context) => {
  context.source.put(service('cart', ['10.0.0.1']), service('pay', ['10.0.1.1', '10.0.1.2']));
  context.pipeline.start();
  assertMatchesFullBuild(context);
});

test('an endpoint-only change patches EDS alone, and the result still equals a full build', async (context) => {
  context.source.put(service('cart', ['10.0.0.1']), service('pay', ['10.0.1.1']));
  context.pipeline.start();
  const snapshot = context.cache.get('gateway')!; // retired by the patch: read what is needed now
  const types = [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.Route, TypeUrl.Endpoint];
  const before = new Map(types.map((type) => [type, snapshot.version(type)]));
  context.source.put(service('cart', ['10.0.0.1', '10.0.0.2']));
  await waitFor('the flush', () => context.pipeline.stats().flushes === 1);
  assert.is(context.pipeline.stats().endpointOnlyFlushes, 1);
  const after = context.cache.get('gateway')!;
  for (const type of [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.Route]) assert.is(after.version(type), before.get(type));
  assert.is.not(after.version(TypeUrl.Endpoint), before.get(TypeUrl.Endpoint));
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

interface FlushLine {
  services: number;
  serviceKeys?: string[];
  endpointsOnly: boolean;
  changed: Record<string, Record<string, number>>;
  removed: Record<string, Record<string, number>>;
  streamsReached: Record<string, number>;
}

/** The log lines of the next flush (the pipeline must be started). */
async function logOfNextFlush({ pipeline }: Context, change: () => void, level: 'debug' | 'info' = 'debug'): Promise<CapturedLog['lines']> {
  const flushes = pipeline.stats().flushes;
  const captured = captureLog();
  try {
    setLogLevel(level);
    change();
    await waitFor('the flush', () => pipeline.stats().flushes === flushes + 1);
  } finally {
    captured.restore();
  }
  return captured.lines;
}

test('at debug, a flush is one line: its Services, the fast path, what changed per class and type, streams reached', async (context) => {
  context.source.put(service('cart', ['10.0.0.1']), service('pay', ['10.0.1.1']));
  context.pipeline.start();
  const reachedByClass = new Map([['proxyless', 3], ['gateway', 1]]);
  context.cache.subscribe((clientClass) => reachedByClass.get(clientClass) ?? 0); // stands in for the ADS server

  const lines = await logOfNextFlush(context, () => context.source.put(service('cart', ['10.0.0.1', '10.0.0.2'])));
  assert.is(lines.length, 1, JSON.stringify(lines));
  const { time: _, durationMs, ...line } = lines[0]!;
  assert.equal(line, {
    level: 'debug',
    msg: 'changes applied and pushed',
    services: 1,
    serviceKeys: ['shop/cart'],
    endpointsOnly: true,
    changed: { proxyless: { EDS: 1 }, gateway: { EDS: 1 }, sidecar: { EDS: 1 } },
    removed: {},
    streamsReached: { proxyless: 3, gateway: 1, sidecar: 0 },
  });
  assert.type(durationMs, 'number');
});

test('a flush that rebuilds says so, with additions and removals counted per class and type', async (context) => {
  context.source.put(service('cart', ['10.0.0.1']), service('pay', ['10.0.1.1']));
  context.pipeline.start();
  const lines = await logOfNextFlush(context, () => {
    context.source.put(service('web', ['10.0.2.1']));
    context.source.remove('shop/pay');
  });
  assert.is(lines.length, 1, JSON.stringify(lines));
  const line = lines[0] as unknown as FlushLine;
  assert.is(line.services, 2);
  assert.equal(line.serviceKeys, ['shop/web', 'shop/pay']);
  assert.is(line.endpointsOnly, false);
  for (const clientClass of clientClasses) {
    assert.is(line.changed[clientClass]?.CDS, 1, `${clientClass}: web's cluster`);
    assert.is(line.removed[clientClass]?.CDS, 1, `${clientClass}: pay's cluster`);
  }
  assert.is(line.changed.gateway?.RDS, 1, "the gateway's routes span every Service");
  assert.equal(line.streamsReached, { proxyless: 0, gateway: 0, sidecar: 0 });
});

test('more than 10 Services are counted, not named', async (context) => {
  context.pipeline.start();
  const lines = await logOfNextFlush(context, () => context.source.put(...Array.from({ length: 11 }, (_, i) => service(`s${i}`, ['10.0.0.1']))));
  assert.is(lines.length, 1);
  assert.is(lines[0]!.services, 11);
  assert.not.ok('serviceKeys' in lines[0]!);
});

test('above debug, a flush logs nothing', async (context) => {
  context.source.put(service('cart', ['10.0.0.1']));
  context.pipeline.start();
  const lines = await logOfNextFlush(context, () => context.source.put(service('cart', ['10.0.0.2']), service('web', ['10.0.2.1'])), 'info');
  assert.equal(lines, []);
});

test('streams reached are the streams a response was written to, per class', async () => {
  const ads = await AdsFixture.start();
  const source = new MemorySource([service('cart', ['10.0.0.1']), service('pay', ['10.0.1.1'])]);
  const pipeline = new SnapshotPipeline(source, ads.cache, options);
  try {
    pipeline.start();
    const edsOf = (name: string) => `outbound|50051||${name}.shop.svc.cluster.local`;
    const watching = [ads.client(grpcNode('cart-watcher')), ads.client(grpcNode('pay-watcher'))];
    for (const [client, name] of [[watching[0]!, 'cart'], [watching[1]!, 'pay']] as const) {
      client.request(TypeUrl.Endpoint, [edsOf(name)]);
      await client.nextOf(TypeUrl.Endpoint);
    }
    const lines = await logOfNextFlush({ source, cache: ads.cache, pipeline }, () => source.put(service('cart', ['10.0.0.2'])));
    const flush = lines.find((line) => line.msg === 'changes applied and pushed');
    assert.equal(flush?.streamsReached, { proxyless: 1, gateway: 0, sidecar: 0 }, 'only the stream watching cart');
    assert.equal((await watching[0]!.nextOf(TypeUrl.Endpoint)).names, [edsOf('cart')]);
  } finally {
    pipeline.stop();
    await ads.stop();
  }
});

test.run();
