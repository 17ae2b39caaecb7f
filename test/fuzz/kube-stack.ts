// The path a Kubernetes object takes in production, in one process: the fake API server
// (real list/watch over HTTP), the Kubernetes source, the pipeline, the snapshot cache and the
// ADS server, with the metrics as the source's observer.
import { AdsServer } from '../../control-plane/ads-server.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { classifyNode } from '../../envoy-config/client-class.ts';
import { KubeSource } from '../../k8s/kube-source.ts';
import { Metrics } from '../../ops/metrics.ts';
import type { MetricsParts } from '../../ops/parts.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { parseExposition } from '../ops/stack.ts';
import { options } from '../pipeline/fixtures.ts';

export class KubeStack implements MetricsParts {
  readonly api: FakeApiServer;
  readonly cache = new SnapshotCache();
  readonly metrics: Metrics = new Metrics(this);
  readonly source: KubeSource;
  readonly pipeline: SnapshotPipeline;
  readonly ads = new AdsServer(this.cache, classifyNode);
  address = '';

  private constructor(api: FakeApiServer) {
    this.api = api;
    this.source = new KubeSource(api.access(), { backoff: { initialMs: 5, maxMs: 50 }, listTimeoutMs: 10_000, observer: this.metrics });
    this.pipeline = new SnapshotPipeline(this.source, this.cache, options);
  }

  /** Starts on an API server that `seed` fills first. */
  static async start(seed: (api: FakeApiServer) => void): Promise<KubeStack> {
    const api = await FakeApiServer.start();
    seed(api);
    const stack = new KubeStack(api);
    await stack.source.start();
    stack.pipeline.start();
    stack.address = `127.0.0.1:${await stack.ads.start('127.0.0.1:0')}`;
    return stack;
  }

  ready = () => true;

  /** kube_xds_source_bad_objects_total as /metrics shows it. */
  async badObjectsMetric(): Promise<number | undefined> {
    return parseExposition((await this.metrics.exposition()).text).get('kube_xds_source_bad_objects_total');
  }

  async stop(): Promise<void> {
    this.pipeline.stop();
    await this.ads.stop();
    await this.source.stop();
    await this.api.close();
  }
}
