import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseSelector } from '../../k8s/selector.ts';
import { ModelStore } from '../../k8s/store.ts';
import { captureLog } from '../support/capture-log.ts';
import { endpoint, service, slice } from './fixtures.ts';

const keys = (set: ReadonlySet<string>) => [...set].sort();

test('a slice before its Service is kept and used when the Service arrives', () => {
  const store = new ModelStore();
  assert.equal(keys(store.applySlice(slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1')] }))), []);
  assert.equal(keys(store.applyService(service('web'))), ['default/web']);
  assert.is(store.services().get('default/web')?.ports[0]?.endpoints.length, 1);
});

test('only the touched Service is rebuilt, and an unchanged rebuild reports nothing', () => {
  const store = new ModelStore();
  store.applyService(service('web'));
  store.applyService(service('api'));
  const webSlice = slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1')] });
  assert.equal(keys(store.applySlice(webSlice)), ['default/web']);
  assert.equal(keys(store.applySlice(webSlice)), []);
  // Not-ready endpoints are omitted from the model, so this change is invisible.
  const withNotReady = slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1'), endpoint('10.0.0.2', { conditions: { ready: false } })] });
  assert.equal(keys(store.applySlice(withNotReady)), []);
  assert.equal(keys(store.applyService(service('web', { labels: { unrelated: 'label' } }))), []);
});

test('a change to an annotation outside kube-xds.io/ (kubectl apply) changes no model', () => {
  const store = new ModelStore();
  const applied = (generation: number) => ({ 'kubectl.kubernetes.io/last-applied-configuration': `{"generation":${generation}}` });
  store.applyService(service('web', { annotations: applied(1) }));
  assert.equal(keys(store.applyService(service('web', { annotations: applied(2) }))), []);
  assert.equal(store.services().get('default/web')?.annotations, {});
  assert.equal(keys(store.applyService(service('web', { annotations: { ...applied(2), 'kube-xds.io/policy': 'x' } }))), ['default/web']);
});

test('deferred rebuilds: a first list builds each model once, when it is complete', () => {
  const store = new ModelStore();
  store.applyService(service('old'));
  store.deferRebuilds();
  assert.equal(keys(store.applyService(service('web'))), []);
  assert.equal(keys(store.applySlice(slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1')] }))), []);
  assert.equal(keys(store.applySlice(slice('web-2', { service: 'web', endpoints: [endpoint('10.0.0.2')] }))), []);
  assert.equal(keys(store.deleteService(service('old'))), []);
  assert.equal([...store.services().keys()], ['default/old'], 'nothing is built meanwhile');
  assert.equal(keys(store.rebuildDeferred()), ['default/old', 'default/web']);
  assert.equal([...store.services().keys()], ['default/web']);
  assert.equal(store.services().get('default/web')?.ports[0]?.endpoints.map((e) => e.address), ['10.0.0.1', '10.0.0.2']);
  // Back to rebuilding at once.
  assert.equal(keys(store.applySlice(slice('web-2', { service: 'web', endpoints: [endpoint('10.0.0.3')] }))), ['default/web']);
});

test('a slice that changes Service rebuilds both', () => {
  const store = new ModelStore();
  store.applyService(service('web'));
  store.applyService(service('api'));
  store.applySlice(slice('moving', { service: 'web', endpoints: [endpoint('10.0.0.1')] }));
  assert.equal(keys(store.applySlice(slice('moving', { service: 'api', endpoints: [endpoint('10.0.0.1')] }))), ['default/api', 'default/web']);
  assert.is(store.services().get('default/web')?.ports[0]?.endpoints.length, 0);
});

test('deletions of slices and Services', () => {
  const store = new ModelStore();
  store.applyService(service('web'));
  store.applySlice(slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1')] }));
  assert.equal(keys(store.deleteSlice(slice('web-1'))), ['default/web']);
  assert.equal(keys(store.deleteSlice(slice('web-1'))), []);
  assert.equal(keys(store.deleteService(service('web'))), ['default/web']);
  assert.not.ok(store.services().has('default/web'));
  assert.equal(keys(store.deleteService(service('web'))), []);
});

test('namespace filter and label selector; slices follow their Service', () => {
  const store = new ModelStore({ namespaces: ['team-a'], selector: parseSelector('expose=true') });
  assert.equal(keys(store.applyService(service('web', { namespace: 'team-b', labels: { expose: 'true' } }))), []);
  assert.equal(keys(store.applyService(service('hidden', { namespace: 'team-a' }))), []);
  assert.equal(keys(store.applyService(service('web', { namespace: 'team-a', labels: { expose: 'true' } }))), ['team-a/web']);
  assert.equal(keys(store.applySlice(slice('web-1', { namespace: 'team-a', service: 'web', endpoints: [endpoint('10.0.0.1')] }))), ['team-a/web']);
  assert.equal(keys(store.applySlice(slice('hidden-1', { namespace: 'team-a', service: 'hidden', endpoints: [endpoint('10.0.0.2')] }))), []);
  // Losing the label removes the Service as if it were deleted.
  assert.equal(keys(store.applyService(service('web', { namespace: 'team-a' }))), ['team-a/web']);
  assert.equal([...store.services().keys()], []);
});

test('a malformed object is counted and skipped; the previous good version stays', () => {
  const log = captureLog();
  try {
    const reported: string[] = [];
    const store = new ModelStore({ onBadObject: (error) => reported.push(error.message) });
    store.applyService(service('web'));
    store.applySlice(slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1')] }));
    assert.equal(keys(store.applySlice(slice('web-1', { service: 'web', endpoints: [endpoint('not-an-ip')] }))), []);
    assert.equal(keys(store.applyService({ kind: 'Service', metadata: { namespace: 'default' } })), []);
    assert.is(store.badObjects, 2);
    assert.is(reported.length, 2);
    assert.match(reported[1] ?? '', 'metadata.name');
    assert.is(store.services().get('default/web')?.ports[0]?.endpoints[0]?.address, '10.0.0.1');
    const logged = log.lines;
    assert.is(logged[0]?.msg, 'skipping a malformed Kubernetes object');
    assert.is(logged[0]?.code, 'KXDS_BAD_OBJECT');
    assert.is(logged[0]?.field, 'endpoints[0].addresses[0]');
  } finally {
    log.restore();
  }
});

test('rejected objects: a gauge of those still rejected, falling when fixed or deleted', () => {
  const log = captureLog();
  try {
    const store = new ModelStore();
    store.applyService(service('web', { ports: [{ port: 0 }] }));
    store.applyService(service('api', { ports: [{ port: 0 }] }));
    store.applySlice(slice('web-1', { service: 'web', endpoints: [endpoint('not-an-ip')] }));
    // Nothing names this one, so nothing could ever fix or delete it: only counted.
    store.applyService({ kind: 'Service', metadata: { namespace: 'default' } });
    assert.equal([store.badObjects, store.rejectedObjects], [4, 3]);
    store.applyService(service('web'));
    store.deleteService(service('api'));
    assert.equal([store.badObjects, store.rejectedObjects], [4, 1]);
    store.deleteSlice(slice('web-1'));
    assert.equal([store.badObjects, store.rejectedObjects], [4, 0]);
  } finally {
    log.restore();
  }
});

test.run();
