import type { envoy } from '../generated/envoy.js';
import { httpConnectionManagerName, packedHttpConnectionManager } from './http-connection-manager.ts';
import type { EnvoyConfigOptions } from './options.ts';

/** An Envoy listener on `address:port` whose HttpConnectionManager takes its routes from RDS. */
export function envoyListener(
  name: string,
  address: string,
  port: number,
  routeConfigName: string,
  options: EnvoyConfigOptions,
): envoy.config.listener.v3.IListener {
  const manager = packedHttpConnectionManager(name, routeConfigName, options.accessLog);
  return {
    name,
    address: { socket_address: { address, port_value: port } },
    filter_chains: [{ filters: [{ name: httpConnectionManagerName, typed_config: manager }] }],
  };
}
