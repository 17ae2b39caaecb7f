// `kube-xds bootstrap grpc|envoy`: the files that point clients at the control plane.
import { hostname } from 'node:os';
import { configError } from '../common/errors.ts';
import { envoyBootstrapYaml, type EnvoyRole } from '../envoy-config/bootstrap-envoy.ts';
import { grpcBootstrap } from '../envoy-config/bootstrap-grpc.ts';
import { parseAddress, parseFlags, single, type FlagSpec, type FlagValues } from './flags.ts';

export const bootstrapFlags: Readonly<Record<'grpc' | 'envoy', readonly FlagSpec[]>> = {
  grpc: [
    { name: 'xds-address', value: 'HOST:PORT', help: 'the control plane address clients dial (required)' },
    { name: 'node-id', value: 'ID', help: 'node id the client reports (default: this host name)' },
    { name: 'zone', value: 'ZONE', help: "the client's zone, for locality-aware balancing" },
  ],
  envoy: [
    { name: 'role', value: 'gateway|sidecar', help: 'which configuration this Envoy gets (required)' },
    { name: 'xds-address', value: 'HOST:PORT', help: 'the control plane address Envoy dials (required)' },
    { name: 'node-id', value: 'ID', help: 'node id Envoy reports (default: this host name)' },
    { name: 'node-cluster', value: 'NAME', default: 'kube-xds', help: 'node cluster Envoy reports' },
    { name: 'admin-address', value: 'HOST:PORT', help: "Envoy's admin listener (default 0.0.0.0:9901 for a gateway, where kubelet probes it; 127.0.0.1:9901 for a sidecar)" },
  ],
};

/**
 * The bootstrap file for `argv` = [kind, ...flags]. Flags only: KUBE_XDS_XDS_ADDRESS is
 * where `serve` listens, not the address clients should dial.
 */
export function bootstrapText(argv: readonly string[]): string {
  const [kind, ...rest] = argv;
  if (kind === 'grpc') {
    const flags = parseFlags(bootstrapFlags.grpc, rest, {});
    const serverUri = required(flags, 'xds-address');
    parseAddress('xds-address', serverUri);
    const zone = single(flags, 'zone');
    const document = grpcBootstrap({ serverUri, nodeId: single(flags, 'node-id') ?? hostname(), ...(zone ? { zone } : {}) });
    return JSON.stringify(document, null, 2) + '\n';
  }
  if (kind === 'envoy') {
    const flags = parseFlags(bootstrapFlags.envoy, rest, {});
    const role = required(flags, 'role');
    if (role !== 'gateway' && role !== 'sidecar') throw configError(`--role must be gateway or sidecar, got "${role}"`);
    const { host, port } = parseAddress('xds-address', required(flags, 'xds-address'));
    const adminText = single(flags, 'admin-address');
    const admin = adminText === undefined ? undefined : parseAddress('admin-address', adminText);
    return envoyBootstrapYaml({
      role: role as EnvoyRole,
      nodeId: single(flags, 'node-id') ?? hostname(),
      nodeCluster: single(flags, 'node-cluster')!,
      xdsHost: host,
      xdsPort: port,
      ...(admin && { adminAddress: admin.host, adminPort: admin.port }),
    });
  }
  throw configError('bootstrap needs a kind: "grpc" or "envoy"');
}

function required(flags: FlagValues, name: string): string {
  const value = single(flags, name);
  if (value === undefined) throw configError(`--${name} is required`);
  return value;
}
