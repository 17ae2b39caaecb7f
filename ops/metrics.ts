// Prometheus metrics with prom-client, on a registry of their own. Events (responses, NACKs,
// flushes, watch events) are counted as they happen; states (readiness, streams, model size,
// counts the parts keep themselves) are read from the parts at scrape time.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { limitNames, type LimitName } from '../control-plane/limits.ts';
import type { AdsObserver, ClientIdentity, ClientLabels } from '../control-plane/observer.ts';
import type { StreamStatus } from '../control-plane/stream-status.ts';
import { typeShortName, type TypeUrl } from '../control-plane/types.ts';
import type { SourceObserver } from '../k8s/source.ts';
import type { PipelineObserver } from '../pipeline/snapshot-pipeline.ts';
import type { MetricsParts } from './parts.ts';

/** Distinct user agents that get a label value of their own; later ones are "other". */
export const userAgentLabelLimit = 32;
const userAgentMaxLength = 64;

/** 1 ms to 10 s: a change reaches clients within milliseconds, unless something is slow. */
const secondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const serviceCountBuckets = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];

type Flush = Parameters<PipelineObserver['flushed']>[0];

export class Metrics implements AdsObserver, PipelineObserver, SourceObserver {
  /** Not prom-client's global registry, so that several control planes can run in one process (tests). */
  readonly registry = new Registry();
  readonly #userAgents = new BoundedLabel(userAgentLabelLimit, userAgentMaxLength);
  readonly #responses: Counter<'type'>;
  readonly #responseBytes: Counter<'type'>;
  readonly #propagation: Histogram<'type'>;
  /** The labelled children per type, looked up once: a push writes a response per stream. */
  readonly #byType = new Map<TypeUrl, { responses: Counter.Internal; bytes: Counter.Internal; propagation: Histogram.Internal<'type'> }>();
  readonly #pushes: Histogram;
  readonly #nacks: Counter<'type' | 'user_agent'>;
  readonly #unresolved: Counter<'type'>;
  readonly #closes: Counter<'reason'>;
  readonly #limits: Counter<'limit'>;
  readonly #flushes: Counter<'endpoints_only'>;
  readonly #coalesceDelay: Histogram;
  readonly #flushServices: Histogram;
  readonly #flushDuration: Histogram;
  readonly #events: Counter<'kind' | 'type'>;
  readonly #relists: Counter<'kind'>;
  readonly #restarts: Counter<'kind'>;
  /** The streams' status during one scrape. */
  #scrapedStreams?: StreamStatus[];

  /** The parts are read only at scrape time, so they may be set after this is built. */
  constructor(parts: MetricsParts) {
    const registers = [this.registry];
    const userAgents = this.#userAgents;
    // Every stream's status is read once per scrape, by the three gauges that need it.
    const streams = () => (this.#scrapedStreams ??= parts.ads.streams());
    collectDefaultMetrics({ register: this.registry });

    // Read at scrape time.
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    const mirror = (name: string, help: string, read: () => number) =>
      new Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } });
    gauge('kube_xds_ready', 'Initial sync done and snapshots published.', () => (parts.ready() ? 1 : 0));
    gauge('kube_xds_source_synced', 'The source has listed every kind once.', () => (parts.source.status().synced ? 1 : 0));
    gauge('kube_xds_source_connected', 'The source watch is healthy (0 during an API server outage).', () => (parts.source.status().connected ? 1 : 0));
    mirror('kube_xds_source_restarts_total', 'Watch restarts after errors (the file source: folder watches set up again).', () => parts.source.status().restarts);
    mirror('kube_xds_source_bad_objects_total', 'Kubernetes objects skipped as malformed.', () => parts.source.status().badObjects);
    gauge(
      'kube_xds_source_rejected_objects',
      'Objects whose current version is rejected as malformed (a manifest file that does not parse counts once).',
      () => parts.source.status().rejectedObjects,
    );
    gauge(
      'kube_xds_source_duplicate_objects',
      'Objects the file source finds defined more than once (the file that sorts last is used).',
      () => parts.source.status().duplicateObjects,
    );
    gauge('kube_xds_services', 'Services in the model.', () => parts.source.services().size);
    gauge('kube_xds_endpoints', 'Endpoints in the model, one per address and Service port.', () => {
      let endpoints = 0;
      for (const service of parts.source.services().values()) for (const port of service.ports) endpoints += port.endpoints.length;
      return endpoints;
    });
    mirror('kube_xds_build_failures_total', 'Service builds that failed (the Service keeps its previous resources).', () => parts.pipeline.stats().failedBuilds);
    gauge('kube_xds_conflicting_services', 'Services left out because their resource names clash.', () => parts.pipeline.stats().conflictingServices);

    new Gauge({
      name: 'kube_xds_streams',
      help: 'Connected ADS streams by client class, user agent and wire format.',
      labelNames: ['class', 'user_agent', 'protocol'] as const,
      registers,
      collect() {
        this.reset();
        for (const stream of streams()) {
          this.inc({ class: stream.nodeClass ?? 'unidentified', user_agent: userAgents.of(stream.userAgent), protocol: stream.protocol });
        }
      },
    });
    new Gauge({
      name: 'kube_xds_streams_nacking',
      help: 'Streams whose latest response of a type was rejected (NACKed).',
      labelNames: ['type'] as const,
      registers,
      collect() {
        this.reset();
        for (const type of Object.values(typeShortName)) this.set({ type }, 0);
        for (const stream of streams()) for (const status of stream.types) if (status.sync === 'NACKED') this.inc({ type: typeShortName[status.type] });
      },
    });
    new Gauge({
      name: 'kube_xds_unresolved_names',
      help: 'Names connected streams ask for that do not exist now (at most a few per stream and type).',
      labelNames: ['type'] as const,
      registers,
      collect() {
        this.reset();
        for (const type of Object.values(typeShortName)) this.set({ type }, 0);
        for (const stream of streams()) for (const status of stream.types) this.inc({ type: typeShortName[status.type] }, status.unresolved.length);
      },
    });

    // Counted as they happen.
    this.#responses = new Counter({ name: 'kube_xds_responses_total', help: 'xDS responses written, by type.', labelNames: ['type'] as const, registers });
    this.#responseBytes = new Counter({ name: 'kube_xds_response_bytes_total', help: 'Bytes of xDS responses written, by type.', labelNames: ['type'] as const, registers });
    this.#propagation = new Histogram({
      name: 'kube_xds_propagation_seconds',
      help: 'From a model change arriving from the source to a response carrying it being written, by type.',
      labelNames: ['type'] as const,
      buckets: secondsBuckets,
      registers,
    });
    this.#pushes = new Histogram({
      name: 'kube_xds_push_seconds',
      help: 'From a model change arriving from the source to the last response of its push being written.',
      buckets: secondsBuckets,
      registers,
    });
    this.#nacks = new Counter({
      name: 'kube_xds_nacks_total',
      help: 'Responses clients rejected (NACKs), by type and user agent.',
      labelNames: ['type', 'user_agent'] as const,
      registers,
    });
    this.#unresolved = new Counter({
      name: 'kube_xds_unresolved_names_total',
      help: 'Names clients asked for that did not exist (once per stream and name), by type.',
      labelNames: ['type'] as const,
      registers,
    });
    this.#closes = new Counter({ name: 'kube_xds_stream_closes_total', help: 'ADS streams ended, by reason.', labelNames: ['reason'] as const, registers });
    this.#limits = new Counter({
      name: 'kube_xds_limit_exceeded_total',
      help: 'Streams refused or ended with RESOURCE_EXHAUSTED because a client went over a limit, by limit.',
      labelNames: ['limit'] as const,
      registers,
    });
    for (const limit of limitNames) this.#limits.inc({ limit }, 0);
    this.#flushes = new Counter({
      name: 'kube_xds_snapshot_flushes_total',
      help: 'Coalesced model changes applied; endpoints_only when they only moved endpoints.',
      labelNames: ['endpoints_only'] as const,
      registers,
    });
    this.#coalesceDelay = new Histogram({
      name: 'kube_xds_coalesce_delay_seconds',
      help: 'From the first model change of a flush arriving to the flush starting.',
      buckets: secondsBuckets,
      registers,
    });
    this.#flushServices = new Histogram({ name: 'kube_xds_flush_services', help: 'Services changed in one flush.', buckets: serviceCountBuckets, registers });
    this.#flushDuration = new Histogram({
      name: 'kube_xds_flush_duration_seconds',
      help: 'Time to rebuild and publish the Services of one flush.',
      buckets: secondsBuckets,
      registers,
    });
    this.#events = new Counter({
      name: 'kube_xds_kubernetes_events_total',
      help: 'Changes to Services and EndpointSlices the source applied (watch events, and what relists and rescans found), by kind and event type.',
      labelNames: ['kind', 'type'] as const,
      registers,
    });
    this.#relists = new Counter({
      name: 'kube_xds_relists_total',
      help: 'Complete lists read, by kind: the first one, after a 410 Gone or restart, and each rescan of a manifest folder.',
      labelNames: ['kind'] as const,
      registers,
    });
    this.#restarts = new Counter({ name: 'kube_xds_watch_restarts_total', help: 'Kubernetes watches restarted after an error, by kind.', labelNames: ['kind'] as const, registers });

    // Known label values start at 0, so that rates and increases see their first event.
    for (const [typeUrl, type] of Object.entries(typeShortName) as [TypeUrl, string][]) {
      for (const counter of [this.#responses, this.#responseBytes, this.#unresolved]) counter.inc({ type }, 0);
      this.#propagation.zero({ type });
      this.#byType.set(typeUrl, { responses: this.#responses.labels({ type }), bytes: this.#responseBytes.labels({ type }), propagation: this.#propagation.labels({ type }) });
    }
    for (const endpointsOnly of ['true', 'false']) this.#flushes.inc({ endpoints_only: endpointsOnly }, 0);
    for (const kind of ['Service', 'EndpointSlice']) {
      this.#relists.inc({ kind }, 0);
      this.#restarts.inc({ kind }, 0);
      for (const type of ['ADDED', 'MODIFIED', 'DELETED']) this.#events.inc({ kind, type }, 0);
    }
  }

  async exposition(): Promise<{ contentType: string; text: string }> {
    try {
      return { contentType: this.registry.contentType, text: await this.registry.metrics() };
    } finally {
      this.#scrapedStreams = undefined;
    }
  }

  // AdsObserver
  responseWritten(type: TypeUrl, bytes: number, propagationMs: number | undefined): void {
    const children = this.#byType.get(type)!;
    children.responses.inc();
    children.bytes.inc(bytes);
    if (propagationMs !== undefined) children.propagation.observe(propagationMs / 1000);
  }

  pushed(sinceMs: number): void {
    this.#pushes.observe(sinceMs / 1000);
  }

  nacked(type: TypeUrl, client: ClientIdentity): void {
    this.#nacks.inc({ type: typeShortName[type], user_agent: this.#userAgents.of(client.userAgent) });
  }

  unresolved(type: TypeUrl): void {
    this.#unresolved.inc({ type: typeShortName[type] });
  }

  streamClosed(_client: ClientLabels, reason: string): void {
    this.#closes.inc({ reason });
  }

  limitExceeded(limit: LimitName): void {
    this.#limits.inc({ limit });
  }

  // PipelineObserver
  flushed(flush: Flush): void {
    this.#flushes.inc({ endpoints_only: String(flush.endpointsOnly) });
    this.#coalesceDelay.observe(flush.coalescedMs / 1000);
    this.#flushServices.observe(flush.services);
    this.#flushDuration.observe(flush.durationMs / 1000);
  }

  // SourceObserver
  event(kind: string, type: 'ADDED' | 'MODIFIED' | 'DELETED'): void {
    this.#events.inc({ kind, type });
  }

  relisted(kind: string): void {
    this.#relists.inc({ kind });
  }

  restarted(kind: string): void {
    this.#restarts.inc({ kind });
  }
}

/**
 * Label values clients choose, kept bounded: the first `limit` distinct values keep their
 * own (cut to `maxLength`), later ones become "other", so a client cannot grow the registry.
 */
export class BoundedLabel {
  readonly #limit: number;
  readonly #maxLength: number;
  readonly #seen = new Set<string>();

  constructor(limit: number, maxLength: number) {
    this.#limit = limit;
    this.#maxLength = maxLength;
  }

  of(value: string | undefined): string {
    if (!value) return 'unknown';
    const label = value.slice(0, this.#maxLength);
    if (this.#seen.has(label)) return label;
    if (this.#seen.size >= this.#limit) return 'other';
    this.#seen.add(label);
    return label;
  }
}
