// The file source's metrics as /metrics shows them: objects rejected now and objects defined
// twice rise with the mistakes and fall when they are fixed; each rescan is a relist, and
// what it finds changed counts as events.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdsServer } from '../../control-plane/ads-server.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { classifyNode } from '../../envoy-config/client-class.ts';
import type { ModelSource } from '../../k8s/source.ts';
import { Metrics } from '../../ops/metrics.ts';
import type { MetricsParts } from '../../ops/parts.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { parseExposition } from '../ops/stack.ts';
import { options } from '../pipeline/fixtures.ts';
import { waitFor } from '../support/wait.ts';
import { endpoint, service, slice } from './fixtures.ts';
import { withFolder, type Write } from './folder-harness.ts';

/** What Metrics reads: the harness's source (set once it exists), idle ADS server and pipeline. */
class Parts implements MetricsParts {
  readonly metrics = new Metrics(this);
  readonly cache = new SnapshotCache();
  readonly ads = new AdsServer(this.cache, classifyNode);
  #source?: ModelSource;
  #pipeline?: SnapshotPipeline;

  get source(): ModelSource {
    return this.#source!;
  }

  get pipeline(): SnapshotPipeline {
    return this.#pipeline!;
  }

  use(source: ModelSource): void {
    this.#source = source;
    this.#pipeline = new SnapshotPipeline(source, this.cache, options);
  }

  ready = () => true;

  async scrape() {
    return parseExposition((await this.metrics.exposition()).text);
  }
}

test('/metrics: rejected and duplicate objects of the file source beside the bad-object counter, relists and events', async () => {
  const webSlice = (address: string) => slice('web-1', { service: 'web', endpoints: [endpoint(address)] });
  const seed = async (write: Write) => {
    await write('1-web.yaml', service('web'), webSlice('10.0.0.1'));
    await write('2-web.yaml', webSlice('10.0.0.2'));
    await write('bad.yaml', service('bad', { ports: [{ port: 0 }] }));
  };
  const parts = new Parts();
  await withFolder(seed, { observer: parts.metrics }, async (h) => {
    parts.use(h.source);
    const sourceValues = async () => {
      const samples = await parts.scrape();
      return ['kube_xds_source_bad_objects_total', 'kube_xds_source_rejected_objects', 'kube_xds_source_duplicate_objects'].map((name) => samples.get(name));
    };
    assert.equal(await sourceValues(), [1, 1, 1]);
    let samples = await parts.scrape();
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'Service', type: 'ADDED' }), 1, 'web; bad is rejected');
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'EndpointSlice', type: 'ADDED' }), 1, 'web-1 once, though defined twice');
    const relists = samples.get('kube_xds_relists_total', { kind: 'Service' })!;
    assert.ok(relists >= 1);
    assert.is(samples.get('kube_xds_relists_total', { kind: 'EndpointSlice' }), relists, 'a rescan reads both kinds');

    await unlink(join(h.dir, 'bad.yaml'));
    await unlink(join(h.dir, '2-web.yaml'));
    await waitFor('both gauges back to 0', () => h.source.status().rejectedObjects === 0 && h.source.status().duplicateObjects === 0);
    assert.equal(await sourceValues(), [1, 0, 0]);
    samples = await parts.scrape();
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'EndpointSlice', type: 'MODIFIED' }), 1, "1-web.yaml's web-1 is used now");
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'EndpointSlice', type: 'DELETED' }), 0);
    assert.is(samples.sum('kube_xds_kubernetes_events_total', { kind: 'Service' }), 1, 'the rejected Service never reached the model');
    assert.ok(samples.get('kube_xds_relists_total', { kind: 'Service' })! > relists, 'rescanned');

    await unlink(join(h.dir, '1-web.yaml'));
    await waitFor('web removed', () => !h.source.services().has('default/web'));
    samples = await parts.scrape();
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'Service', type: 'DELETED' }), 1);
    assert.is(samples.get('kube_xds_kubernetes_events_total', { kind: 'EndpointSlice', type: 'DELETED' }), 1);
  });
});

test.run();
