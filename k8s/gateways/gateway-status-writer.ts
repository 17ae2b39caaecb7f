// Writes each Gateway's status back to the API server: status.conditions and
// status.listeners (a Gateway of kube-xds's class is kube-xds's alone; status.addresses is
// left as it is). How and when patches go out: ../status-patches.ts.
import { isDeepStrictEqual } from 'node:util';
import type { ApiAccess } from '../api-access.ts';
import { objectMeta } from '../api-requests.ts';
import { gatewayKey } from '../gateway-model.ts';
import { recordsOf, StatusPatches, untimed, type StatusPatch, type StatusWriterOptions } from '../status-patches.ts';
import type { GatewayStatusModel } from './gateway-status.ts';

interface Observed {
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: string;
  readonly status: Record<string, unknown>;
}

export class GatewayStatusWriter extends StatusPatches<Observed, GatewayStatusModel> {
  constructor(access: ApiAccess, options: StatusWriterOptions) {
    super(access, options, 'Gateway');
  }

  /** The Gateway as the watch delivered it. */
  observe(object: unknown): void {
    const meta = objectMeta(object);
    if (!meta?.resourceVersion) return;
    const status = (object as { status?: unknown }).status;
    this.noteObserved(gatewayKey(meta.namespace, meta.name), { ...meta, status: isRecord(status) ? status : {} });
  }

  forget(object: unknown): void {
    const meta = objectMeta(object);
    if (meta) this.forgetObserved(gatewayKey(meta.namespace, meta.name));
  }

  protected patchFor(observed: Observed, desired: GatewayStatusModel | undefined): StatusPatch | undefined {
    // A Gateway not (or no longer) of kube-xds's class: its status is another controller's.
    if (desired === undefined) return undefined;
    const written = recordsOf(observed.status.conditions);
    if (written.some((condition) => Number(condition.observedGeneration) > desired.generation)) return undefined;
    const writtenListeners = recordsOf(observed.status.listeners);
    const stampAll = <C extends { type: string; status: string }>(conditions: readonly C[], before: readonly Record<string, unknown>[]) =>
      conditions.map((condition) => this.stamped(condition, before.find((old) => old.type === condition.type)));
    const wanted = {
      conditions: stampAll(desired.conditions, written),
      listeners: desired.listeners.map((listener) => ({
        ...listener,
        conditions: stampAll(listener.conditions, recordsOf(writtenListeners.find((old) => old.name === listener.name)?.conditions)),
      })),
    };
    if (isDeepStrictEqual(withoutTimes({ conditions: written, listeners: writtenListeners }), withoutTimes(wanted))) return undefined;
    return {
      path: `/apis/gateway.networking.k8s.io/v1/namespaces/${encodeURIComponent(observed.namespace)}/gateways/${encodeURIComponent(observed.name)}/status`,
      body: { metadata: { resourceVersion: observed.resourceVersion }, status: wanted },
    };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a status says, not when its conditions last changed. */
function withoutTimes(status: { conditions: readonly Record<string, unknown>[]; listeners: readonly Record<string, unknown>[] }): unknown {
  return { conditions: untimed(status.conditions), listeners: status.listeners.map((listener) => ({ ...listener, conditions: untimed(listener.conditions) })) };
}
