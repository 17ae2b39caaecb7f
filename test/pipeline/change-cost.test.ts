// What a one-Service change costs, counted in builder calls rather than timed: the changed
// Service alone is built (its virtual hosts included), Envoy's routing is never rebuilt
// from the whole model, and the listeners stay the same objects unless a port appears.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoyConfigBuilders, type Builders } from '../../pipeline/builders.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import type { RouteEntryModel } from '../../k8s/route-model.ts';
import { MemorySource } from '../support/memory-source.ts';
import { waitFor } from '../support/wait.ts';
import { assertMatchesFullBuild, options, service } from './fixtures.ts';

function countingBuilders() {
  const calls = { virtualHosts: [] as string[], layouts: 0 };
  const builders: Builders = {
    ...envoyConfigBuilders,
    envoyVirtualHosts: (model, envoy) => {
      calls.virtualHosts.push(model.name);
      return envoyConfigBuilders.envoyVirtualHosts(model, envoy);
    },
    envoyRoutingLayout: (clientClass, envoy) => {
      calls.layouts++;
      return envoyConfigBuilders.envoyRoutingLayout(clientClass, envoy);
    },
  };
  return { calls, builders };
}

test('a new, changed or removed Service builds its own virtual hosts only, and Envoy routing is never rebuilt whole', async () => {
  const { calls, builders } = countingBuilders();
  const source = new MemorySource(Array.from({ length: 50 }, (_, i) => service(`s${i}`, [`10.0.0.${i + 1}`])));
  const cache = new SnapshotCache();
  const pipeline = new SnapshotPipeline(source, cache, options, builders);
  try {
    pipeline.start();
    assert.is(calls.virtualHosts.length, 50);
    const listeners = { gateway: cache.get('gateway')!.resources(TypeUrl.Listener), sidecar: cache.get('sidecar')!.resources(TypeUrl.Listener) };
    calls.virtualHosts = [];
    calls.layouts = 0;

    source.put(service('web', ['10.0.1.1']));
    await waitFor('the first flush', () => pipeline.stats().flushes === 1);
    source.put(service('s3', ['10.0.0.4'], [{ name: 'grpc', port: 50051 }, { name: 'grpc-admin', port: 9000 }]));
    await waitFor('the second flush', () => pipeline.stats().flushes === 2);
    source.remove('shop/s7');
    await waitFor('the third flush', () => pipeline.stats().flushes === 3);

    assert.equal(calls.virtualHosts, ['web', 's3']);
    assert.is(calls.layouts, 0, 'no class built its routing again');
    assertMatchesFullBuild({ source, cache });
    assert.is(cache.get('gateway')!.resources(TypeUrl.Listener), listeners.gateway, "the gateway's listeners are untouched");
    assert.equal([...cache.get('sidecar')!.resources(TypeUrl.Listener).keys()].sort(), ['sidecar_50051', 'sidecar_9000'], "s3's new port has a listener");
    assert.is(cache.get('sidecar')!.resources(TypeUrl.Listener).get('sidecar_50051'), listeners.sidecar.get('sidecar_50051'), 'the existing listener is the same object');
  } finally {
    pipeline.stop();
  }
});

test('a route change on one Service builds that Service alone, its routes land in every class, and nothing else moves', async () => {
  const { calls, builders } = countingBuilders();
  const built: string[] = [];
  const counting: Builders = {
    ...builders,
    serviceResources: (model, clientClass, envoy) => {
      built.push(model.name);
      return builders.serviceResources(model, clientClass, envoy);
    },
  };
  const source = new MemorySource(Array.from({ length: 20 }, (_, i) => service(`s${i}`, [`10.0.0.${i + 1}`])));
  const cache = new SnapshotCache();
  const pipeline = new SnapshotPipeline(source, cache, options, counting);
  try {
    pipeline.start();
    const untouched = cache.get('proxyless')!.resources(TypeUrl.Route).get('s4.shop.svc.cluster.local:50051');
    const gatewayBefore = cache.get('gateway')!.resources(TypeUrl.Route).get('gateway');
    calls.virtualHosts = [];
    built.length = 0;
    const canary: RouteEntryModel = {
      origin: { kind: 'GRPCRoute', namespace: 'shop', name: 'canary', rule: 0, match: 0 },
      match: { headers: [], queryParams: [] },
      backends: [{ namespace: 'shop', name: 's3', port: 50051, weight: 90, resolved: true }, { namespace: 'shop', name: 's5', port: 50051, weight: 10, resolved: true }],
    };
    source.put({ ...service('s3', ['10.0.0.4']), routes: [canary] });
    await waitFor('the flush', () => pipeline.stats().flushes === 1);
    assert.equal(calls.virtualHosts, ['s3']);
    assert.equal([...new Set(built)], ['s3'], 'only s3 was built, for each class');
    assertMatchesFullBuild({ source, cache });
    const proxyless = cache.get('proxyless')!;
    assert.is(proxyless.resources(TypeUrl.Route).get('s4.shop.svc.cluster.local:50051'), untouched, "another Service's RouteConfiguration is the same object");
    const route = proxyless.resources(TypeUrl.Route).get('s3.shop.svc.cluster.local:50051')!;
    assert.ok(Buffer.from(route.any).includes('outbound|50051||s5.shop.svc.cluster.local'), "s3's proxyless route names s5's cluster");
    assert.ok(proxyless.resources(TypeUrl.Cluster).has('outbound|50051||s5.shop.svc.cluster.local'), "s5's cluster is served to whoever dials s3");
    const gatewayRoutes = cache.get('gateway')!.resources(TypeUrl.Route).get('gateway')!;
    assert.ok(Buffer.from(gatewayRoutes.any).includes('GRPCRoute/shop/canary/rule/0/match/0'), "the gateway's virtual host of s3 has the entry");
    assert.is.not(gatewayRoutes, gatewayBefore);
  } finally {
    pipeline.stop();
  }
});

test.run();
