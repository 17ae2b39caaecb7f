// The gateway role's routing (Gateway API, parentRef kind Gateway): what the k8s stage makes
// of a Gateway of kube-xds's class and the Routes attached to its listeners. The builders
// turn it into Envoy listeners and virtual hosts for the gateway role; they never see the
// Gateway or Route objects.
import type { RouteEntryModel } from './route-model.ts';

/** A Gateway of the class kube-xds serves, with the listeners it could program. */
export interface GatewayModel {
  readonly namespace: string;
  readonly name: string;
  /** Accepted listeners (protocol HTTP), in spec order; refused ones are only in the status. */
  readonly listeners: readonly GatewayListenerModel[];
}

export interface GatewayListenerModel {
  /** The listener's name (a Route's parentRef.sectionName). */
  readonly name: string;
  readonly port: number;
  /** One per hostname Routes attached with, most specific first; empty while no Route is attached. */
  readonly virtualHosts: readonly GatewayVirtualHostModel[];
}

export interface GatewayVirtualHostModel {
  /**
   * The hostname requests must carry: `echo.example.com`, a wildcard `*.example.com` (one
   * label or more in front), or `*` for any.
   */
  readonly hostname: string;
  /**
   * The entries of every Route attached with this hostname, then those of Routes with a
   * wildcard covering it, each group in the Gateway API's precedence. `port` is unset.
   * Empty: the hostname's requests get 404.
   */
  readonly routes: readonly RouteEntryModel[];
}

/** `namespace/name`: the key of a Gateway. */
export function gatewayKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

// A Gateway's change travels in the same change feed as Services' (the pipeline tells them
// apart): its key there has this prefix, which a Service key (`namespace/name`) never has.
const changePrefix = 'Gateway:';

export function gatewayChangeKey(key: string): string {
  return `${changePrefix}${key}`;
}

/** The Gateway key of a change key, or undefined for a Service's. */
export function gatewayOfChange(changeKey: string): string | undefined {
  return changeKey.startsWith(changePrefix) ? changeKey.slice(changePrefix.length) : undefined;
}
