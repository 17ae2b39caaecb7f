// What the rest of kube-xds needs from a source of Services and endpoints: the Kubernetes
// watch and the file source both implement it.
import type { GatewayModel } from './gateway-model.ts';
import type { GatewayStatusModel } from './gateways/gateway-status.ts';
import type { ServiceModel } from './model.ts';
import type { RouteStatusModel } from './routes/route-status.ts';

export type { RouteStatusModel } from './routes/route-status.ts';

export interface SourceStatus {
  /** Both kinds (Services and EndpointSlices) have been listed at least once. */
  readonly synced: boolean;
  /** The watch is currently healthy; false during an outage (the last state is still served). */
  readonly connected: boolean;
  /** Objects skipped because they could not be turned into the model, since start. */
  readonly badObjects: number;
  /**
   * Objects whose current version is rejected (a manifest file that does not parse counts
   * once); it falls when they are fixed or removed.
   */
  readonly rejectedObjects: number;
  /** Objects defined more than once, one definition used (only files can do that). */
  readonly duplicateObjects: number;
  /** Times a watch was restarted after an error. */
  readonly restarts: number;
  readonly lastError?: string;
  /** GRPCRoutes and HTTPRoutes known, and how many of them are not wholly applied (a condition False). */
  readonly routes?: { readonly total: number; readonly withProblems: number };
}

/** What a source reports as it watches, for metrics; kinds are `Service`, `EndpointSlice`, `GRPCRoute` and `HTTPRoute`. */
export interface SourceObserver {
  /** A watch event (or a change a relist or rescan found) applied to the model's input. */
  event(kind: string, type: 'ADDED' | 'MODIFIED' | 'DELETED'): void;
  /** A complete list of a kind was read: the first one, or after a restart. */
  relisted(kind: string): void;
  /** A watch was restarted after an error. */
  restarted(kind: string): void;
}

export interface ModelSource {
  /** Resolves once the initial state is complete (the first full list of both kinds). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The current model, keyed by `namespace/name`: a live read-only view, updated in place. */
  services(): ReadonlyMap<string, ServiceModel>;
  /**
   * Called after the initial sync whenever Services change, with the keys whose model
   * changed (added, updated or removed: a key missing from services() was removed), and
   * Gateways' change keys (gatewayChangeKey) when a Gateway's model changed.
   * Changes applied together (a relist, a chunk of watch events, a folder rescan) arrive
   * as one call; a rebuild that leaves a model equal reports nothing.
   */
  onChange(listener: (changed: ReadonlySet<string>) => void): void;
  status(): SourceStatus;
  /**
   * The status of each GRPCRoute and HTTPRoute attached to a Service (mesh parentRefs), keyed
   * `Kind/namespace/name`: what kube-xds writes to the Route's status.parents. Absent from
   * sources that do not read Routes.
   */
  routeStatuses?(): ReadonlyMap<string, RouteStatusModel>;
  /**
   * The Gateways of kube-xds's class (`--gateway-class`) with the Routes attached to their
   * listeners, keyed `namespace/name`: a live view. A change to one reaches onChange as its
   * gatewayChangeKey (k8s/gateway-model.ts). Absent from sources that do not read Gateways.
   */
  gateways?(): ReadonlyMap<string, GatewayModel>;
  /** Their statuses, what kube-xds writes to each Gateway's status. */
  gatewayStatuses?(): ReadonlyMap<string, GatewayStatusModel>;
}
