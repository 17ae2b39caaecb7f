// `kube-xds bootstrap grpc|envoy`: the files that point clients at the control plane.
import { hostname } from 'node:os';
import { configError } from '../common/errors.ts';
import { envoyAdsVariants, envoyBootstrapYaml, type EnvoyAds, type EnvoyRole } from '../envoy-config/bootstrap-envoy.ts';
import { grpcBootstrap } from '../envoy-config/bootstrap-grpc.ts';
import { bootstrapFlags } from './bootstrap-flags.ts';
import { parseAddress, parseFlags, single, type FlagValues } from './flags.ts';

export { bootstrapFlags } from './bootstrap-flags.ts';

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
    const ads = single(flags, 'ads')!;
    if (!(envoyAdsVariants as readonly string[]).includes(ads)) throw configError(`--ads must be ${envoyAdsVariants.join(' or ')}, got "${ads}"`);
    const { host, port } = parseAddress('xds-address', required(flags, 'xds-address'));
    const address = (name: string) => {
      const text = single(flags, name);
      return text === undefined ? undefined : parseAddress(name, text);
    };
    const admin = address('admin-address');
    const ready = address('ready-address');
    return envoyBootstrapYaml({
      role: role as EnvoyRole,
      nodeId: single(flags, 'node-id') ?? hostname(),
      nodeCluster: single(flags, 'node-cluster')!,
      xdsHost: host,
      xdsPort: port,
      ads: ads as EnvoyAds,
      ...(admin && { adminAddress: admin.host, adminPort: admin.port }),
      ...(ready && { readyAddress: ready.host, readyPort: ready.port }),
    });
  }
  throw configError('bootstrap needs a kind: "grpc" or "envoy"');
}

function required(flags: FlagValues, name: string): string {
  const value = single(flags, name);
  if (value === undefined) throw configError(`--${name} is required`);
  return value;
}
