// The kube source and Gateways against the fake API server: a Gateway of kube-xds's class is
// read, its status written back (conditions and listeners, addresses left alone), rewritten
// when a Route attaches with the transition times kept, not rewritten for its own echo; a
// Gateway of another class is never written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KubeSource, type KubeSourceOptions } from '../../k8s/kube-source.ts';
import { captureLog } from '../support/capture-log.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { waitFor } from '../support/wait.ts';
import { backend, gateway, gatewayParent, grpcRoute, service, type Json } from './fixtures.ts';

const fast: KubeSourceOptions = { backoff: { initialMs: 5, maxMs: 50 }, listTimeoutMs: 5_000, routeRecheckMs: 20 };

const gatewayWrites = (fake: FakeApiServer, name: string) => fake.statusWrites.filter((write) => write.resource === 'gateways' && write.name === name && write.status === 200).length;

test('a Gateway of kube-xds\'s class gets its status written; a Route attaching updates attachedRoutes and keeps transition times', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  fake.installRouteCrds();
  fake.apply('services', service('echo'));
  fake.apply('gateways', { ...gateway('edge'), status: { addresses: [{ type: 'IPAddress', value: '10.0.0.9' }] } });
  fake.apply('gateways', gateway('theirs', { className: 'other' }));
  const source = new KubeSource(fake.access(), fast);
  try {
    await source.start();
    const status = () => fake.get('gateways', 'default', 'edge')?.status as { addresses?: Json[]; conditions?: Json[]; listeners?: { attachedRoutes: number; conditions: Json[] }[] } | undefined;
    await waitFor('the Gateway status', () => status()?.listeners?.length === 1);
    assert.equal(status()?.conditions?.map((c) => [c.type, c.status, c.observedGeneration]), [['Accepted', 'True', 1], ['Programmed', 'True', 1]]);
    assert.equal(status()?.addresses, [{ type: 'IPAddress', value: '10.0.0.9' }], 'addresses are not kube-xds\'s to write');
    const firstTime = status()?.conditions?.[0]?.lastTransitionTime;
    assert.match(String(firstTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.is(gatewayWrites(fake, 'edge'), 1);
    fake.apply('grpcroutes', grpcRoute('echo', { parentRefs: [gatewayParent('edge')], rules: [{ backendRefs: [backend('echo', 50051)] }] }));
    await waitFor('attachedRoutes 1', () => status()?.listeners?.[0]?.attachedRoutes === 1);
    assert.is(status()?.conditions?.[0]?.lastTransitionTime, firstTime);
    assert.equal(source.gateways().get('default/edge')?.listeners[0]?.virtualHosts.map((host) => host.hostname), ['*']);
    // The echo of our writes must not be written again: a later Route's write comes next.
    fake.apply('grpcroutes', grpcRoute('echo-2', { parentRefs: [gatewayParent('edge')], rules: [{ backendRefs: [backend('echo', 50051)] }] }));
    await waitFor('attachedRoutes 2', () => status()?.listeners?.[0]?.attachedRoutes === 2);
    assert.is(gatewayWrites(fake, 'edge'), 3);
    assert.is(fake.statusWrites.filter((write) => write.resource === 'gateways' && write.name === 'theirs').length, 0);
    assert.is(fake.get('gateways', 'default', 'theirs')?.status, undefined);
  } finally {
    await source.stop();
    await fake.close();
    log.restore();
  }
});

test.run();
