// Source -> builders -> snapshot cache (docs/design.md §1). Changes are coalesced briefly,
// then patched into each class's snapshot: work grows with what changed, not with the
// cluster. A change that only moves endpoints takes the fast path (the Service's
// ClusterLoadAssignments are rebuilt once, as they are the same for every class); any
// other change rebuilds that Service, plus Envoy's listeners and routes, which span Services.
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { PatchOutcome, SnapshotCache } from '../control-plane/snapshot-cache.ts';
import type { EnvoyConfigOptions } from '../envoy-config/options.ts';
import { clientClasses, type ClientClass } from '../envoy-config/resource-set.ts';
import type { ModelSource } from '../k8s/source.ts';
import { envoyConfigBuilders, type Builders } from './builders.ts';
import { Coalescer } from './coalescer.ts';
import { gatewayOfChange } from '../k8s/gateway-model.ts';
import { GatewayStates } from './gateway-states.ts';
import { logFlush } from './flush-log.ts';
import { SnapshotPublisher } from './publisher.ts';
import { ServiceStates } from './service-states.ts';

export interface PipelineOptions {
  readonly envoy: EnvoyConfigOptions;
  /** A flush waits until changes have been quiet this long… */
  readonly coalesceWindowMs: number;
  /** …but never longer than this after the first pending change. */
  readonly coalesceMaxDelayMs: number;
}

/** What the pipeline reports as it works, for metrics. */
export interface PipelineObserver {
  /** A batch of coalesced changes was applied and pushed. */
  flushed(flush: { readonly services: number; readonly endpointsOnly: boolean; readonly coalescedMs: number; readonly durationMs: number }): void;
}

export interface PipelineStats {
  readonly flushes: number;
  readonly endpointOnlyFlushes: number;
  /** Builds that threw; the Service keeps its previous resources. */
  readonly failedBuilds: number;
  /** Services refused because two of their resources share a name. */
  readonly conflictingServices: number;
}

export class SnapshotPipeline {
  readonly #source: ModelSource;
  readonly #states: ServiceStates;
  readonly #gateways: GatewayStates;
  readonly #publisher: SnapshotPublisher;
  readonly #coalescer: Coalescer;
  readonly #observer?: PipelineObserver;
  #stats = { flushes: 0, endpointOnlyFlushes: 0 };
  #stopped = false;

  constructor(source: ModelSource, cache: SnapshotCache, options: PipelineOptions, builders: Builders = envoyConfigBuilders, observer?: PipelineObserver) {
    this.#source = source;
    this.#observer = observer;
    this.#states = new ServiceStates(options.envoy, builders);
    this.#gateways = new GatewayStates(options.envoy, builders);
    this.#publisher = new SnapshotPublisher(cache, this.#states, options.envoy, builders, this.#gateways);
    this.#coalescer = new Coalescer({ windowMs: options.coalesceWindowMs, maxDelayMs: options.coalesceMaxDelayMs }, (keys, since) => this.#flush(keys, since));
  }

  /** Builds every class's first snapshot from the synced source (this makes them ready). */
  start(): void {
    this.#states.buildAll(this.#source.services());
    this.#gateways.buildAll(this.#source.gateways?.() ?? new Map());
    this.#publisher.publishAll();
    this.#source.onChange((changed) => this.#coalescer.add(changed));
  }

  stop(): void {
    this.#stopped = true;
    this.#coalescer.stop();
  }

  stats(): PipelineStats {
    return { ...this.#stats, failedBuilds: this.#states.failedBuilds + this.#gateways.failedBuilds, conflictingServices: this.#states.conflictingServices };
  }

  /**
   * Applies a batch, then publishes it class by class, in the order of `clientClasses`, each
   * in a turn of the event loop of its own: proxyless clients' responses leave before Envoy's
   * listeners and routes are patched (the largest work), and streams are served in between.
   */
  async #flush(keys: string[], since: number): Promise<void> {
    const startedAt = performance.now();
    try {
      const gatewayKeys = keys.flatMap((key) => gatewayOfChange(key) ?? []);
      const serviceKeys = gatewayKeys.length === 0 ? keys : keys.filter((key) => gatewayOfChange(key) === undefined);
      const changes = {
        ...this.#states.apply(serviceKeys, this.#source.services()),
        gateways: this.#gateways.apply(gatewayKeys, this.#source.gateways?.() ?? new Map()),
      };
      const endpointsOnly = changes.rebuilt.size === 0 && changes.gateways.size === 0;
      const outcomes = new Map<ClientClass, PatchOutcome | undefined>();
      for (const clientClass of clientClasses) {
        if (outcomes.size > 0) {
          await new Promise((resolve) => setImmediate(resolve));
          if (this.#stopped) return;
        }
        outcomes.set(clientClass, this.#publisher.publish(clientClass, changes, { since }));
      }
      this.#stats.flushes++;
      if (endpointsOnly) this.#stats.endpointOnlyFlushes++;
      const durationMs = performance.now() - startedAt;
      this.#observer?.flushed({ services: keys.length, endpointsOnly, coalescedMs: startedAt - since, durationMs });
      if (log.isLevelEnabled('debug')) logFlush(keys, endpointsOnly, outcomes, durationMs);
    } catch (error) {
      log.error({ services: keys.length, error: describeError(error) }, 'a batch of changes could not be applied');
    }
  }
}
