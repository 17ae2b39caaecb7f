// A Gateway change through the pipeline: it builds that Gateway's virtual hosts alone (no
// Service is rebuilt), reaches the gateway class only, and its listener and RouteConfiguration
// come and go with it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import type { GatewayModel } from '../../k8s/gateway-model.ts';
import { envoyConfigBuilders, type Builders } from '../../pipeline/builders.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { MemorySource } from '../support/memory-source.ts';
import { waitFor } from '../support/wait.ts';
import { options, service } from './fixtures.ts';

const edge = (port: number): GatewayModel => ({
  namespace: 'default',
  name: 'edge',
  listeners: [{ name: 'http', port, virtualHosts: [{ hostname: 'echo.example.com', routes: [{ origin: { kind: 'GRPCRoute', namespace: 'default', name: 'r', rule: 0, match: 0 }, match: { headers: [], queryParams: [] }, backends: [{ namespace: 'default', name: 's0', port: 50051, weight: 1, resolved: true }] }] }] }],
});

test('a Gateway added, moved to another port and removed: only its hosts are built, and only the gateway class changes', async () => {
  const calls = { services: 0, gateways: 0 };
  const builders: Builders = {
    ...envoyConfigBuilders,
    envoyVirtualHosts: (model, envoy) => (calls.services++, envoyConfigBuilders.envoyVirtualHosts(model, envoy)),
    gatewayVirtualHosts: (model, envoy) => (calls.gateways++, envoyConfigBuilders.gatewayVirtualHosts(model, envoy)),
  };
  const source = new MemorySource(Array.from({ length: 5 }, (_, i) => service(`s${i}`, [`10.0.0.${i + 1}`])));
  const cache = new SnapshotCache();
  const pipeline = new SnapshotPipeline(source, cache, options, builders);
  const names = (clientClass: 'gateway' | 'sidecar', type: TypeUrl) => [...cache.get(clientClass)!.resources(type).keys()].sort();
  try {
    pipeline.start();
    const sidecarRoutes = cache.get('sidecar')!.resources(TypeUrl.Route);
    calls.services = 0;
    source.putGateway(edge(9090));
    await waitFor('the Gateway listener', () => names('gateway', TypeUrl.Listener).includes('gateway_9090'));
    assert.ok(names('gateway', TypeUrl.Route).includes('gateway_9090'));
    source.putGateway(edge(9091));
    await waitFor('moved', () => names('gateway', TypeUrl.Listener).includes('gateway_9091') && !names('gateway', TypeUrl.Listener).includes('gateway_9090'));
    assert.equal(names('gateway', TypeUrl.Route).filter((name) => name.startsWith('gateway_9')), ['gateway_9091']);
    source.removeGateway('default/edge');
    await waitFor('removed', () => !names('gateway', TypeUrl.Listener).some((name) => name.startsWith('gateway_9')));
    assert.equal([calls.services, calls.gateways], [0, 2]);
    assert.is(cache.get('sidecar')!.resources(TypeUrl.Route), sidecarRoutes, 'the sidecar was sent nothing');
    assert.is(pipeline.stats().failedBuilds, 0);
  } finally {
    pipeline.stop();
  }
});

test.run();
