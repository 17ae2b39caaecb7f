// The model from a live cluster: a list-then-watch loop on v1 Services, one on
// discovery.k8s.io/v1 EndpointSlices, and one each on gateway.networking.k8s.io/v1
// GRPCRoutes, HTTPRoutes and Gateways, cluster-wide or one set per chosen namespace. The label
// selector goes to the API server for Services; slices follow their Service in the store.
// The Gateway API kinds are optional: without their CRDs there are no Routes, readiness does not
// wait for them, and they are looked for again every minute. Route and Gateway statuses are
// written back to the API server (routes/status-writer.ts, gateways/gateway-status-writer.ts).
import { log } from '../common/log.ts';
import type { ApiAccess } from './api-access.ts';
import { defaultBackoff, type BackoffOptions } from './backoff.ts';
import { GatewayStatusWriter } from './gateways/gateway-status-writer.ts';
import type { GatewayStatusModel } from './gateways/gateway-status.ts';
import { ResilientInformer, type InformerEvents } from './resilient-informer.ts';
import type { RouteKind } from './routes/route-record.ts';
import type { RouteStatusModel } from './routes/route-status.ts';
import { RouteStatusWriter } from './routes/status-writer.ts';
import type { LabelSelector } from './selector.ts';
import { StoreSource, type StoreSourceOptions, type WatchStatus } from './store-source.ts';

export interface KubeSourceOptions extends StoreSourceOptions {
  /** Watch only these namespaces (one informer per namespace and kind); absent or empty = all. */
  readonly namespaces?: readonly string[];
  /** Only Services whose labels match. */
  readonly selector?: LabelSelector;
  /** Restart delays after a failed list or watch (default 100 ms doubling to 10 s, with jitter). */
  readonly backoff?: BackoffOptions;
  /** Bounds each list page (default 60 s). */
  readonly listTimeoutMs?: number;
  /** A watch silent this long is re-opened, as its connection may be dead (default 30 s). */
  readonly watchIdleMs?: number;
  /** How often Route kinds the API server does not serve (no CRD) are looked for again (default 60 s). */
  readonly routeRecheckMs?: number;
  /** Write each Route's status back to the API server (default true). */
  readonly writeRouteStatus?: boolean;
}

const routeResources: Record<RouteKind, string> = { GRPCRoute: 'grpcroutes', HTTPRoute: 'httproutes' };

export class KubeSource extends StoreSource {
  readonly #informers: readonly ResilientInformer[];
  readonly #statusWriter: RouteStatusWriter | undefined;
  readonly #gatewayStatusWriter: GatewayStatusWriter | undefined;

  constructor(access: ApiAccess, options: KubeSourceOptions = {}) {
    super(options);
    const labelSelector = options.selector?.text || undefined;
    const informerOptions = {
      backoff: options.backoff ?? defaultBackoff,
      listTimeoutMs: options.listTimeoutMs ?? 60_000,
      ...(options.watchIdleMs === undefined ? {} : { watchIdleMs: options.watchIdleMs }),
      observer: this.observer,
    };
    const failed = (message: string) => (this.lastError = message);
    const services: InformerEvents = {
      apply: (object) => this.feed.add(this.store.applyService(object)),
      remove: (object) => this.feed.add(this.store.deleteService(object)),
      failed,
    };
    const slices: InformerEvents = {
      apply: (object) => this.feed.add(this.store.applySlice(object)),
      remove: (object) => this.feed.add(this.store.deleteSlice(object)),
      failed,
    };
    const writer = options.writeRouteStatus === false ? undefined : new RouteStatusWriter(access, { backoff: options.backoff ?? defaultBackoff });
    this.#statusWriter = writer;
    const routes = (kind: RouteKind): InformerEvents => ({
      apply: (object) => {
        this.feed.add(this.store.applyRoute(kind, object));
        writer?.observe(kind, object);
      },
      remove: (object) => {
        this.feed.add(this.store.deleteRoute(kind, object));
        writer?.forget(kind, object);
      },
      failed,
    });
    const gatewayWriter = options.writeRouteStatus === false ? undefined : new GatewayStatusWriter(access, { backoff: options.backoff ?? defaultBackoff });
    this.#gatewayStatusWriter = gatewayWriter;
    const gateways: InformerEvents = {
      apply: (object) => {
        this.feed.add(this.store.applyGateway(object));
        gatewayWriter?.observe(object);
      },
      remove: (object) => {
        this.feed.add(this.store.deleteGateway(object));
        gatewayWriter?.forget(object);
      },
      failed,
    };
    const optional = { recheckMs: options.routeRecheckMs ?? 60_000 };
    const scopes: readonly (string | undefined)[] = options.namespaces?.length ? options.namespaces : [undefined];
    this.#informers = scopes.flatMap((namespace) => {
      const within = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
      return [
        new ResilientInformer(access, { kind: 'Service', path: `/api/v1${within}/services`, ...(labelSelector === undefined ? {} : { labelSelector }) }, services, informerOptions),
        new ResilientInformer(access, { kind: 'EndpointSlice', path: `/apis/discovery.k8s.io/v1${within}/endpointslices` }, slices, informerOptions),
        ...(['GRPCRoute', 'HTTPRoute'] as const).map(
          (kind) => new ResilientInformer(access, { kind, path: `/apis/gateway.networking.k8s.io/v1${within}/${routeResources[kind]}`, optional }, routes(kind), informerOptions),
        ),
        new ResilientInformer(access, { kind: 'Gateway', path: `/apis/gateway.networking.k8s.io/v1${within}/gateways`, optional }, gateways, informerOptions),
      ];
    });
  }

  protected override routeStatusChanged(key: string, status: RouteStatusModel | undefined): void {
    this.#statusWriter?.desire(key, status);
  }

  protected override gatewayStatusChanged(key: string, status: GatewayStatusModel | undefined): void {
    this.#gatewayStatusWriter?.desire(key, status);
  }

  /** Resolves once every informer has listed once; until then failures are retried. */
  override async start(): Promise<void> {
    this.store.deferRebuilds();
    await Promise.all(this.#informers.map((informer) => informer.start()));
    this.store.rebuildDeferred();
    this.feed.open();
    this.#statusWriter?.start();
    this.#gatewayStatusWriter?.start();
    log.info({
      services: this.store.services().size,
      routes: this.store.routeStatuses().size,
      gateways: this.store.gateways().size,
      watches: this.#informers.filter((i) => !i.absent).map((i) => i.path),
      absent: this.#informers.filter((i) => i.absent).map((i) => i.path),
    }, 'kubernetes source synced');
  }

  override async stop(): Promise<void> {
    this.feed.close();
    await Promise.all([...this.#informers.map((informer) => informer.stop()), this.#statusWriter?.stop(), this.#gatewayStatusWriter?.stop()]);
  }

  protected override watchStatus(): WatchStatus {
    return {
      synced: this.#informers.every((informer) => informer.synced),
      connected: this.#informers.every((informer) => informer.connected),
      restarts: this.#informers.reduce((sum, informer) => sum + informer.restarts, 0),
    };
  }
}
