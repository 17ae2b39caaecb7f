// The kube-xds command line: parse once, validate, then run one command.
import { hostname } from 'node:os';
import { configError, describeError, KubeXdsError } from '../common/errors.ts';
import { log, setLogLevel } from '../common/log.ts';
import { envoyBootstrapYaml, type EnvoyRole } from '../envoy-config/bootstrap-envoy.ts';
import { grpcBootstrap } from '../envoy-config/bootstrap-grpc.ts';
import { flagHelp, parseAddress, parseFlags, parsePort, single, type FlagSpec } from './flags.ts';
import { ControlPlane, serveConfig, serveFlags } from './serve.ts';

const grpcBootstrapFlags: readonly FlagSpec[] = [
  { name: 'xds-address', value: 'HOST:PORT', help: 'the control plane address clients dial (required)' },
  { name: 'node-id', value: 'ID', help: 'node id the client reports (default: this host name)' },
  { name: 'zone', value: 'ZONE', help: "the client's zone, for locality-aware balancing" },
];

const envoyBootstrapFlags: readonly FlagSpec[] = [
  { name: 'role', value: 'gateway|sidecar', help: 'which configuration this Envoy gets (required)' },
  { name: 'xds-address', value: 'HOST:PORT', help: 'the control plane address Envoy dials (required)' },
  { name: 'node-id', value: 'ID', help: 'node id Envoy reports (default: this host name)' },
  { name: 'node-cluster', value: 'NAME', default: 'kube-xds', help: 'node cluster Envoy reports' },
  { name: 'admin-port', value: 'PORT', default: '9901', help: "Envoy's admin port" },
];

const usage = `kube-xds: an Envoy xDS control plane for Kubernetes (Envoy gateway, Envoy sidecar, proxyless gRPC)

Usage:
  kube-xds serve [flags]                 watch Kubernetes (or a folder) and serve ADS
  kube-xds bootstrap grpc [flags]        print a GRPC_XDS_BOOTSTRAP file for proxyless gRPC clients
  kube-xds bootstrap envoy [flags]       print an Envoy bootstrap (YAML) for a gateway or sidecar
  kube-xds demo                          run the demo: per-call balancing vs a ClusterIP-style client
  kube-xds help                          this text

serve flags:
${flagHelp(serveFlags)}

bootstrap grpc flags:
${flagHelp(grpcBootstrapFlags)}

bootstrap envoy flags:
${flagHelp(envoyBootstrapFlags)}
`;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest, env);
    case 'bootstrap':
      return bootstrap(rest, env);
    case 'demo': {
      const { runDemo } = await import('./demo/demo.ts');
      return runDemo();
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return command === undefined ? 2 : 0;
    default:
      throw configError(`unknown command "${command}" (try kube-xds help)`);
  }
}

async function serve(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.includes('--help')) return printUsage();
  const config = serveConfig(parseFlags(serveFlags, argv, env));
  setLogLevel(config.logLevel);
  const controlPlane = new ControlPlane(config);
  const { synced } = await controlPlane.start();
  synced.catch((error) => log.error('initial sync failed', { error: describeError(error) }));
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info('stopping', { signal });
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await controlPlane.stop();
  return 0;
}

function bootstrap(argv: readonly string[], env: NodeJS.ProcessEnv): number {
  const [kind, ...rest] = argv;
  if (rest.includes('--help')) return printUsage();
  if (kind === 'grpc') {
    const flags = parseFlags(grpcBootstrapFlags, rest, env);
    const serverUri = required(flags, 'xds-address');
    parseAddress('xds-address', serverUri);
    const zone = single(flags, 'zone');
    const document = grpcBootstrap({ serverUri, nodeId: single(flags, 'node-id') ?? hostname(), ...(zone ? { zone } : {}) });
    process.stdout.write(JSON.stringify(document, null, 2) + '\n');
    return 0;
  }
  if (kind === 'envoy') {
    const flags = parseFlags(envoyBootstrapFlags, rest, env);
    const role = required(flags, 'role');
    if (role !== 'gateway' && role !== 'sidecar') throw configError(`--role must be gateway or sidecar, got "${role}"`);
    const { host, port } = parseAddress('xds-address', required(flags, 'xds-address'));
    process.stdout.write(envoyBootstrapYaml({
      role: role as EnvoyRole,
      nodeId: single(flags, 'node-id') ?? hostname(),
      nodeCluster: single(flags, 'node-cluster')!,
      xdsHost: host.replace(/^\[(.*)\]$/, '$1'),
      xdsPort: port,
      adminPort: parsePort('admin-port', single(flags, 'admin-port')!),
    }));
    return 0;
  }
  throw configError('bootstrap needs a kind: "grpc" or "envoy"');
}

function required(flags: ReturnType<typeof parseFlags>, name: string): string {
  const value = single(flags, name);
  if (value === undefined) throw configError(`--${name} is required`);
  return value;
}

function printUsage(): number {
  process.stdout.write(usage);
  return 0;
}

export async function runCli(): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2), process.env);
  } catch (error) {
    const message = error instanceof KubeXdsError ? `kube-xds: ${error.message}` : `kube-xds: ${describeError(error)}`;
    process.stderr.write(`${message}\n`);
    process.exitCode = error instanceof KubeXdsError && error.code === 'KXDS_BAD_CONFIG' ? 2 : 1;
  }
}
