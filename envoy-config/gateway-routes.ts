// The gateway role's share of Gateway API Gateways (k8s/gateway-model.ts): per listener, a
// virtual host per hostname, whose routes are the entries built as for mesh routes
// (mesh-routes.ts), with no default route after them (a request no rule matches gets 404,
// as the Gateway API says). Where they go is the gateway layout's choice (envoy-gateway.ts).
import type { GatewayModel } from '../k8s/gateway-model.ts';
import type { VirtualHostShare } from './envoy-routes.ts';
import { gatewayEntryRoutes } from './mesh-routes.ts';
import { gatewayUnresolvedClusterName, gatewayVirtualHostName } from './names.ts';
import type { EnvoyConfigOptions } from './options.ts';

/** A Gateway's virtual hosts, each on its listener's port. */
export function gatewayVirtualHosts(gateway: GatewayModel, options: EnvoyConfigOptions): VirtualHostShare[] {
  const unresolved = gatewayUnresolvedClusterName(gateway.namespace, gateway.name);
  return gateway.listeners.flatMap((listener) =>
    listener.virtualHosts.map((virtualHost): VirtualHostShare => ({
      port: listener.port,
      gatewayListener: true,
      candidates: gatewayDomains(virtualHost.hostname, listener.port),
      host: {
        name: gatewayVirtualHostName(gateway.namespace, gateway.name, listener.name, virtualHost.hostname),
        routes: gatewayEntryRoutes(virtualHost.routes, unresolved, options),
      },
    })),
  );
}

/** The `:authority` values of a hostname: bare and with `:port` (Envoy matches the header as sent). */
export function gatewayDomains(hostname: string, port: number): string[] {
  return hostname === '*' ? ['*'] : [hostname, `${hostname}:${port}`];
}
