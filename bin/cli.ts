// The kube-xds command line: parse once, validate, then run one command.
import { configError, describeError, KubeXdsError } from '../common/errors.ts';
import { log, setLogLevel } from '../common/log.ts';
import { bootstrapFlags, bootstrapText } from './bootstrap-command.ts';
import { flagHelp, parseFlags } from './flags.ts';
import { ControlPlane, serveConfig, serveFlags } from './serve.ts';

const usage = `kube-xds: an Envoy xDS control plane for Kubernetes (Envoy gateway, Envoy sidecar, proxyless gRPC)

Usage:
  kube-xds serve [flags]                 watch Kubernetes (or a folder) and serve ADS
  kube-xds bootstrap grpc [flags]        print a GRPC_XDS_BOOTSTRAP file for proxyless gRPC clients
  kube-xds bootstrap envoy [flags]       print an Envoy bootstrap (YAML) for a gateway or sidecar
  kube-xds demo                          run the demo: per-call balancing vs a ClusterIP-style client
  kube-xds help                          this text

serve flags:
${flagHelp(serveFlags, true)}

bootstrap grpc flags (flags only: serve's KUBE_XDS_* variables are not read here):
${flagHelp(bootstrapFlags.grpc, false)}

bootstrap envoy flags:
${flagHelp(bootstrapFlags.envoy, false)}
`;

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest, env);
    case 'bootstrap': {
      if (rest.includes('--help')) return printUsage();
      process.stdout.write(bootstrapText(rest));
      return 0;
    }
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
  // The Kubernetes source retries until it has synced; a source that gives up (a folder
  // that does not exist) is fatal rather than a control plane that is never ready.
  const exitCode = await new Promise<number>((resolve) => {
    synced.catch((error) => {
      log.error('initial sync failed; stopping', { error: describeError(error) });
      resolve(1);
    });
    const stop = (signal: string) => {
      log.info('stopping', { signal });
      resolve(0);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await controlPlane.stop();
  return exitCode;
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
