// `kube-xds bootstrap grpc|envoy`: the files that point clients at the control plane.
import { hostname } from 'node:os';
import { configError } from '../common/errors.ts';
import { envoyAdsVariants, envoyBootstrapYaml, type EnvoyAds, type EnvoyRole } from '../envoy-config/bootstrap-envoy.ts';
import { grpcBootstrap, type XdsClientTls } from '../envoy-config/bootstrap-grpc.ts';
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
    const tls = clientTls(flags);
    const document = grpcBootstrap({ serverUri, nodeId: single(flags, 'node-id') ?? hostname(), ...(zone ? { zone } : {}), ...(tls && { tls }) });
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
    const tls = clientTls(flags);
    const serverName = single(flags, 'tls-server-name');
    if (serverName !== undefined && !tls) throw configError('--tls-server-name needs --tls-ca-file: it names the certificate to expect over TLS');
    return envoyBootstrapYaml({
      role: role as EnvoyRole,
      nodeId: single(flags, 'node-id') ?? hostname(),
      nodeCluster: single(flags, 'node-cluster')!,
      xdsHost: host,
      xdsPort: port,
      ads: ads as EnvoyAds,
      ...(admin && { adminAddress: admin.host, adminPort: admin.port }),
      ...(ready && { readyAddress: ready.host, readyPort: ready.port }),
      ...(tls && { xdsTls: { ...tls, ...(serverName !== undefined && { serverName }) } }),
    });
  }
  throw configError('bootstrap needs a kind: "grpc" or "envoy"');
}

/**
 * TLS to the control plane from --tls-ca-file, and for mutual TLS --tls-cert-file and
 * --tls-key-file. The paths are the client's: nothing is read here.
 */
function clientTls(flags: FlagValues): XdsClientTls | undefined {
  const caFile = single(flags, 'tls-ca-file');
  const certFile = single(flags, 'tls-cert-file');
  const keyFile = single(flags, 'tls-key-file');
  if (caFile === undefined) {
    if (certFile !== undefined || keyFile !== undefined) throw configError(`--${certFile !== undefined ? 'tls-cert-file' : 'tls-key-file'} needs --tls-ca-file: a client certificate is for TLS, which trusts that CA`);
    return undefined;
  }
  if ((certFile === undefined) !== (keyFile === undefined)) throw configError(`--${certFile === undefined ? 'tls-key-file' : 'tls-cert-file'} needs --${certFile === undefined ? 'tls-cert-file' : 'tls-key-file'}: a client certificate goes with its key`);
  return { caFile, ...(certFile !== undefined && { certFile, keyFile }) };
}

function required(flags: FlagValues, name: string): string {
  const value = single(flags, name);
  if (value === undefined) throw configError(`--${name} is required`);
  return value;
}
