// The HttpConnectionManager every client class uses: routes from RDS over ADS, the router
// filter last (C-core NACKs an empty filter list), and an optional stdout access log.
import { envoy, type google } from '../generated/envoy.js';
import { packAny } from './any.ts';
import { adsConfigSource } from './config-source.ts';

export const httpConnectionManagerName = 'envoy.filters.network.http_connection_manager';

// The same in every manager: packed once.
const router = Object.freeze(packAny(envoy.extensions.filters.http.router.v3.Router, {}));
const stdoutAccessLog = Object.freeze(packAny(envoy.extensions.access_loggers.stream.v3.StdoutAccessLog, {}));

/** Packed in an Any: proxyless clients take it as an `api_listener`, Envoy as a network filter. */
export function packedHttpConnectionManager(statPrefix: string, routeConfigName: string, accessLog = false): google.protobuf.IAny {
  return packAny(envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager, {
    stat_prefix: statPrefix,
    rds: { config_source: adsConfigSource(), route_config_name: routeConfigName },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: router }],
    ...(accessLog && {
      access_log: [{ name: 'envoy.access_loggers.stdout', typed_config: stdoutAccessLog }],
    }),
  });
}
