// The running stages as the operations views read them (set once everything is built).
import type { AdsServer } from '../control-plane/ads-server.ts';
import type { SnapshotCache } from '../control-plane/snapshot-cache.ts';
import type { ModelSource } from '../k8s/source.ts';
import type { SnapshotPipeline } from '../pipeline/snapshot-pipeline.ts';

export interface MetricsParts {
  readonly source: ModelSource;
  readonly ads: AdsServer;
  readonly pipeline: SnapshotPipeline;
  /** True once every client class has its first snapshot. */
  readonly ready: () => boolean;
}

export interface OpsParts extends MetricsParts {
  readonly cache: SnapshotCache;
}
