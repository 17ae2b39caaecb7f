// The JSON views under /debug/ on the admin address, read from the running stages at request
// time. Shapes are the ones docs/design.md describes ("The ops stage").
import { byKey, compareText } from '../common/compare.ts';
import type { ClientView } from '../control-plane/ads-server.ts';
import type { StreamStatus, SyncState } from '../control-plane/stream-status.ts';
import type { TypeUrl } from '../control-plane/types.ts';
import type { GatewayModel } from '../k8s/gateway-model.ts';
import type { GatewayStatusModel } from '../k8s/gateways/gateway-status.ts';
import type { ServiceModel } from '../k8s/model.ts';
import type { RouteStatusModel, SourceStatus } from '../k8s/source.ts';
import type { OpsParts } from './parts.ts';
import { anyToJson } from './proto-json.ts';

/** `/debug/clients`: every connected stream, as the ADS server tracks it. */
export function clientsView(parts: OpsParts): StreamStatus[] {
  return parts.ads.streams();
}

export interface ConfigView {
  readonly nodeId: string;
  readonly streams: readonly StreamConfig[];
}

export interface StreamConfig {
  readonly stream: number;
  /** The client class (snapshot) the stream is served. */
  readonly class?: string;
  readonly protocol: StreamStatus['protocol'];
  readonly types: readonly {
    readonly type: TypeUrl;
    readonly sync: SyncState;
    readonly resources: readonly HeldConfig[];
  }[];
}

export interface HeldConfig {
  readonly name: string;
  readonly version: string;
  /** Proto3 JSON; null when only the version is known (a delta client that reconnected). */
  readonly config: Record<string, unknown> | null;
}

/** `/debug/config?node=ID`: what each stream of that node holds, decoded; undefined when none is connected. */
export function configView(clients: readonly ClientView[], nodeId: string): ConfigView | undefined {
  const streams: StreamConfig[] = [];
  for (const client of clients) {
    const status = client.status();
    if (status.nodeId !== nodeId) continue;
    streams.push({
      stream: status.id,
      class: status.nodeClass ?? client.snapshotName,
      protocol: status.protocol,
      types: status.types.map((type) => ({
        type: type.type,
        sync: type.sync,
        resources: [...client.held(type.type).values()]
          .sort(byKey((held) => held.name))
          .map((held) => ({ name: held.name, version: held.version, config: 'any' in held ? anyToJson(held.any) : null })),
      })),
    });
  }
  return streams.length > 0 ? { nodeId, streams: streams.sort((a, b) => a.stream - b.stream) } : undefined;
}

export interface ModelView {
  readonly ready: boolean;
  readonly source: SourceStatus;
  readonly services: readonly ServiceModel[];
  /** The status of each GRPCRoute and HTTPRoute attached to a Service, sorted by kind, namespace, name. */
  readonly routes: readonly RouteStatusModel[];
  /** The Gateways of kube-xds's class, each with its status, sorted by namespace/name; absent while there is none. */
  readonly gateways?: readonly { readonly model: GatewayModel; readonly status: GatewayStatusModel | undefined }[];
}

/** `/debug/model`: the model the snapshots are built from, sorted by namespace, then name. */
export function modelView(parts: OpsParts): ModelView {
  const services = [...parts.source.services().values()].sort((a, b) => compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  const gateways = [...(parts.source.gateways?.() ?? [])].sort(([a], [b]) => compareText(a, b)).map(([key, model]) => ({ model, status: parts.source.gatewayStatuses?.().get(key) }));
  return { ready: parts.ready(), source: parts.source.status(), services, routes: routesView(parts), ...(gateways.length > 0 && { gateways }) };
}

/** `/debug/routes`: the Route statuses alone (`kube-xds status` reads them without the whole model), sorted by kind, namespace, name. */
export function routesView(parts: OpsParts): RouteStatusModel[] {
  return [...(parts.source.routeStatuses?.() ?? new Map<string, RouteStatusModel>())].sort(([a], [b]) => compareText(a, b)).map(([, status]) => status);
}
