// A Gateway's status as kube-xds sees it (the Gateway API's GatewayStatus): Accepted and
// Programmed for the Gateway, and per listener Accepted, Programmed and ResolvedRefs with its
// supported kinds and attached Routes. No lastTransitionTime: the writer adds it.
import type { RouteCondition } from '../routes/route-status.ts';
import { GATEWAY_GROUP } from './read-gateway.ts';
import type { GatewayRecord } from './gateway-record.ts';
import { listenerRefusal } from './gateway-join.ts';

export type GatewayCondition = Omit<RouteCondition, 'type'> & { readonly type: 'Accepted' | 'Programmed' | 'ResolvedRefs' };

export interface ListenerStatusModel {
  readonly name: string;
  readonly supportedKinds: readonly { readonly group: string; readonly kind: string }[];
  readonly attachedRoutes: number;
  readonly conditions: readonly GatewayCondition[];
}

export interface GatewayStatusModel {
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  readonly conditions: readonly GatewayCondition[];
  readonly listeners: readonly ListenerStatusModel[];
}

export function gatewayStatus(gateway: GatewayRecord, attachedRoutes: ReadonlyMap<string, number>): GatewayStatusModel {
  const observedGeneration = gateway.generation;
  const condition = (type: GatewayCondition['type'], ok: boolean, reason: string, message: string): GatewayCondition => ({ type, status: ok ? 'True' : 'False', reason, message, observedGeneration });
  const listeners = gateway.listeners.map((listener): ListenerStatusModel => {
    const refused = listenerRefusal(listener);
    const kindsProblem = listener.invalidKinds.length > 0 ? `allowedRoutes.kinds names kinds kube-xds does not serve: ${listener.invalidKinds.join(', ')}` : undefined;
    const conditions = [
      refused ? condition('Accepted', false, refused.reason, refused.message) : condition('Accepted', true, 'Accepted', 'the listener is accepted'),
      refused ? condition('Programmed', false, 'Invalid', refused.message) : condition('Programmed', true, 'Programmed', `Envoy gateways listen on port ${listener.port}`),
      kindsProblem ? condition('ResolvedRefs', false, 'InvalidRouteKinds', kindsProblem) : condition('ResolvedRefs', true, 'ResolvedRefs', 'every reference resolves'),
    ];
    return {
      name: listener.name,
      supportedKinds: listener.kinds.map((kind) => ({ group: GATEWAY_GROUP, kind })),
      attachedRoutes: attachedRoutes.get(listener.name) ?? 0,
      conditions,
    };
  });
  const programmed = gateway.listeners.filter((listener) => listenerRefusal(listener) === undefined).length;
  const conditions = [
    condition('Accepted', true, 'Accepted', 'kube-xds serves this Gateway'),
    programmed > 0
      ? condition('Programmed', true, 'Programmed', `${programmed} of ${gateway.listeners.length} listeners are sent to Envoy gateways`)
      : condition('Programmed', false, 'Invalid', 'no listener can be programmed'),
  ];
  return { namespace: gateway.namespace, name: gateway.name, generation: gateway.generation, conditions, listeners };
}
