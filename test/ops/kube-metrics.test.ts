// The Kubernetes source's metrics against the fake API server: lists, watch events by kind
// and type, relists after 410 Gone, and restarts after the connections drop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdsServer } from '../../control-plane/ads-server.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { classifyNode } from '../../envoy-config/client-class.ts';
import { KubeSource } from '../../k8s/kube-source.ts';
import { Metrics } from '../../ops/metrics.ts';
import type { MetricsParts } from '../../ops/parts.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { endpoint, service, slice } from '../k8s/fixtures.ts';
import { options } from '../pipeline/fixtures.ts';
import { captureLog } from '../support/capture-log.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { waitFor } from '../support/wait.ts';
import { parseExposition, type Samples } from './stack.ts';

class KubeParts implements MetricsParts {
  readonly metrics = new Metrics(this);
  readonly cache = new SnapshotCache();
  readonly source: KubeSource;
  readonly pipeline: SnapshotPipeline;
  readonly ads = new AdsServer(this.cache, classifyNode);

  constructor(fake: FakeApiServer) {
    this.source = new KubeSource(fake.access(), { backoff: { initialMs: 5, maxMs: 50 }, listTimeoutMs: 5_000, observer: this.metrics });
    this.pipeline = new SnapshotPipeline(this.source, this.cache, options, undefined, this.metrics);
  }

  ready = () => this.source.status().synced;

  async scrape(): Promise<Samples> {
    return parseExposition((await this.metrics.exposition()).text);
  }

  scrapeUntil(description: string, probe: (samples: Samples) => boolean): Promise<Samples> {
    return waitFor(description, async () => {
      const samples = await this.scrape();
      return probe(samples) ? samples : undefined;
    });
  }
}

const kinds = ['Service', 'EndpointSlice'];

test('lists, events by kind and type, 410 relists and restarts after dropped connections', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  const parts = new KubeParts(fake);
  try {
    fake.apply('services', service('web'));
    fake.apply('endpointslices', slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1')] }));
    await parts.source.start();
    await waitFor('both watches open', () => parts.source.status().connected && fake.openWatches() === 2);

    let samples = await parts.scrape();
    assert.is(samples.get('kube_xds_source_synced'), 1);
    assert.is(samples.get('kube_xds_source_connected'), 1);
    for (const kind of kinds) {
      assert.is(samples.get('kube_xds_relists_total', { kind }), 1, `${kind}: the first list`);
      assert.is(samples.get('kube_xds_kubernetes_events_total', { kind, type: 'ADDED' }), 1, `${kind}: its object, from the list`);
      assert.is(samples.get('kube_xds_watch_restarts_total', { kind }), 0);
    }

    fake.apply('endpointslices', slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1'), endpoint('10.0.0.2')] }));
    fake.apply('services', service('api'));
    fake.delete('services', 'default', 'web');
    samples = await parts.scrapeUntil('the watch events', (s) => s.get('kube_xds_kubernetes_events_total', { kind: 'Service', type: 'DELETED' }) === 1);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'Service', type: 'ADDED' }), 2);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'EndpointSlice', type: 'MODIFIED' }), 1);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'Service', type: 'MODIFIED' }), 0);

    // 410 Gone: client-node relists by itself, no restart.
    fake.expireWatches();
    samples = await parts.scrapeUntil('a relist of each kind', (s) => kinds.every((kind) => s.get('kube_xds_relists_total', { kind }) === 2));
    for (const kind of kinds) assert.is(samples.get('kube_xds_watch_restarts_total', { kind }), 0, `${kind}: a 410 is not a restart`);

    // Dropped connections stop the informers; they are restarted.
    await waitFor('both watches open again', () => parts.source.status().connected && fake.openWatches() === 2);
    fake.resetConnections();
    samples = await parts.scrapeUntil('a restart of each kind', (s) => kinds.every((kind) => s.get('kube_xds_watch_restarts_total', { kind })! >= 1));
    assert.is(samples.get('kube_xds_source_restarts_total'), samples.sum('kube_xds_watch_restarts_total'), 'the source counts the same restarts');
    await parts.scrapeUntil('connected again', (s) => s.get('kube_xds_source_connected') === 1);
    fake.apply('endpointslices', slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.3')] }));
    await parts.scrapeUntil('events after the restart', (s) => s.get('kube_xds_kubernetes_events_total', { kind: 'EndpointSlice', type: 'MODIFIED' }) === 2);
  } finally {
    await parts.source.stop();
    await fake.close();
    log.restore();
  }
});

test('the API server down: not connected, restarts counted while it stays down', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  const parts = new KubeParts(fake);
  try {
    fake.apply('services', service('web'));
    await parts.source.start();
    await waitFor('both watches open', () => parts.source.status().connected && fake.openWatches() === 2);
    await fake.goDown();
    const samples = await parts.scrapeUntil('several restarts while down', (s) => s.sum('kube_xds_watch_restarts_total') >= 4);
    assert.is(samples.get('kube_xds_source_connected'), 0);
    assert.is(samples.get('kube_xds_services'), 1, 'the last state is still served');
    await fake.comeUp();
    await parts.scrapeUntil('connected again', (s) => s.get('kube_xds_source_connected') === 1);
  } finally {
    await parts.source.stop();
    await fake.close();
    log.restore();
  }
});

test.run();
