// What both sources share: the store they feed, the change feed that batches its changes
// for onChange listeners, and the half of status() those two know. A source adds how it
// loads and follows the objects (start, stop) and how its watch is doing (watchStatus).
import { ChangeFeed, type ChangeListener } from './change-feed.ts';
import type { WhyUnserved } from './client-support.ts';
import type { GatewayModel } from './gateway-model.ts';
import type { GatewayStatusModel } from './gateways/gateway-status.ts';
import type { ServiceModel } from './model.ts';
import { healthy, type RouteStatusModel } from './routes/route-status.ts';
import type { ModelSource, SourceObserver, SourceStatus } from './source.ts';
import { ModelStore, type StoreFilter } from './store.ts';

export interface StoreSourceOptions extends StoreFilter {
  /** Told about watch events, relists and restarts (metrics). */
  readonly observer?: SourceObserver;
  /** Which client classes are not served a route entry, and why, for Route status; bin/serve.ts passes envoy-config's. */
  readonly whyUnserved?: WhyUnserved;
  /** The GatewayClass whose Gateways kube-xds serves (default `kube-xds`). */
  readonly gatewayClassName?: string;
}

const noSourceObserver: SourceObserver = Object.freeze({ event() {}, relisted() {}, restarted() {} });

export interface WatchStatus {
  readonly synced: boolean;
  readonly connected: boolean;
  readonly restarts: number;
  /** Objects the source rejected before they reached the store: ever (added to badObjects), and now. */
  readonly rejectedTotal?: number;
  readonly rejectedNow?: number;
  /** Objects defined more than once, when the source can see that (the file source). */
  readonly duplicates?: number;
}

export abstract class StoreSource implements ModelSource {
  protected readonly store: ModelStore;
  /** Give it what the store's apply and delete calls return; open it once synced. */
  protected readonly feed = new ChangeFeed();
  /** The last problem seen (a skipped object, a failed watch or read), for status(). */
  protected lastError: string | undefined;
  protected readonly observer: SourceObserver;

  constructor({ namespaces, selector, observer, whyUnserved, gatewayClassName }: StoreSourceOptions) {
    this.store = new ModelStore({
      namespaces,
      selector,
      whyUnserved,
      ...(gatewayClassName === undefined ? {} : { gatewayClassName }),
      onGatewayStatus: (key, status) => this.gatewayStatusChanged(key, status),
      onBadObject: (error) => (this.lastError = error.message),
      onRouteStatus: (key, status) => this.routeStatusChanged(key, status),
    });
    this.observer = observer ?? noSourceObserver;
  }

  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  protected abstract watchStatus(): WatchStatus;

  services(): ReadonlyMap<string, ServiceModel> {
    return this.store.services();
  }

  onChange(listener: ChangeListener): void {
    this.feed.subscribe(listener);
  }

  routeStatuses(): ReadonlyMap<string, RouteStatusModel> {
    return this.store.routeStatuses();
  }

  gateways(): ReadonlyMap<string, GatewayModel> {
    return this.store.gateways();
  }

  gatewayStatuses(): ReadonlyMap<string, GatewayStatusModel> {
    return this.store.gatewayStatuses();
  }

  /** A Route's status changed (undefined: the Route is gone); the kube source writes it back. */
  protected routeStatusChanged(_key: string, _status: RouteStatusModel | undefined): void {}

  /** A Gateway's status changed (undefined: gone or not kube-xds's); the kube source writes it back. */
  protected gatewayStatusChanged(_key: string, _status: GatewayStatusModel | undefined): void {}

  status(): SourceStatus {
    const { synced, connected, restarts, rejectedTotal = 0, rejectedNow = 0, duplicates = 0 } = this.watchStatus();
    return {
      synced,
      connected,
      badObjects: this.store.badObjects + rejectedTotal,
      rejectedObjects: this.store.rejectedObjects + rejectedNow,
      duplicateObjects: duplicates,
      restarts,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      routes: this.#routeCounts(),
    };
  }

  #routeCounts(): { total: number; withProblems: number } {
    let withProblems = 0;
    for (const status of this.store.routeStatuses().values()) if (!healthy(status)) withProblems++;
    return { total: this.store.routeStatuses().size, withProblems };
  }
}
