// Writes each Route's status back to the API server: status.parents with the entries of
// other controllers, untouched, and kube-xds's own (its mesh and gateway controller names).
// How and when patches go out: ../status-patches.ts.
import { isDeepStrictEqual } from 'node:util';
import type { ApiAccess } from '../api-access.ts';
import { objectMeta } from '../api-requests.ts';
import { recordsOf, StatusPatches, untimed, type StatusPatch, type StatusWriterOptions } from '../status-patches.ts';
import { routeKey, type RouteKind } from './route-record.ts';
import { isOwnController, type RouteStatusModel } from './route-status.ts';

/** What the API server last said about a Route: where to write, and the entries already there. */
interface Observed {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
  readonly parents: readonly Record<string, unknown>[];
}

const resources: Record<RouteKind, string> = { GRPCRoute: 'grpcroutes', HTTPRoute: 'httproutes' };

export class RouteStatusWriter extends StatusPatches<Observed, RouteStatusModel> {
  constructor(access: ApiAccess, options: StatusWriterOptions) {
    super(access, options, 'Route');
  }

  /** The Route as the watch delivered it (plain JSON). */
  observe(kind: RouteKind, object: unknown): void {
    const meta = objectMeta(object);
    if (!meta?.resourceVersion) return;
    const parents = recordsOf((object as { status?: { parents?: unknown } }).status?.parents);
    this.noteObserved(routeKey(kind, meta.namespace, meta.name), { kind, ...meta, parents });
  }

  /** The Route was deleted: nothing to write. */
  forget(kind: RouteKind, object: unknown): void {
    const meta = objectMeta(object);
    if (meta) this.forgetObserved(routeKey(kind, meta.namespace, meta.name));
  }

  protected patchFor(observed: Observed, desired: RouteStatusModel | undefined): StatusPatch | undefined {
    const ours = observed.parents.filter((parent) => isOwnController(parent.controllerName));
    const others = observed.parents.filter((parent) => !isOwnController(parent.controllerName));
    // The spec: a condition observed at a newer generation than ours means our copy is stale.
    if (desired !== undefined && ours.some((parent) => recordsOf(parent.conditions).some((condition) => Number(condition.observedGeneration) > desired.generation))) return undefined;
    const wanted = (desired?.parents ?? []).map((parent) => {
      const before = recordsOf(ours.find((old) => isDeepStrictEqual(old.parentRef, parent.parentRef))?.conditions);
      return {
        parentRef: parent.parentRef,
        controllerName: parent.controllerName,
        conditions: parent.conditions.map((condition) => this.stamped(condition, before.find((old) => old.type === condition.type))),
      };
    });
    if (isDeepStrictEqual(ours.map(withoutTimes), wanted.map(withoutTimes))) return undefined;
    return {
      path: `/apis/gateway.networking.k8s.io/v1/namespaces/${encodeURIComponent(observed.namespace)}/${resources[observed.kind]}/${encodeURIComponent(observed.name)}/status`,
      body: { metadata: { resourceVersion: observed.resourceVersion }, status: { parents: [...others, ...wanted] } },
    };
  }
}

/** An entry as compared: what it says, not when it last changed. */
function withoutTimes(parent: Record<string, unknown>): unknown {
  return {
    parentRef: parent.parentRef,
    controllerName: parent.controllerName,
    conditions: untimed(parent.conditions),
  };
}
