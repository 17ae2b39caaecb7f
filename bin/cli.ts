// The kube-xds command line: parse once, validate, then run one command. A command's module
// is imported only when it runs, so help, the version and flag errors load no Kubernetes
// client, gRPC or generated protos.
import { readFileSync } from 'node:fs';
import { configError, describeError, KubeXdsError } from '../common/errors.ts';
import { helpRequested, parseFlags } from './flags.ts';
import { helpText } from './help.ts';
import { serveConfig, serveFlags } from './serve-config.ts';

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      if (helpRequested(rest)) return print(helpText('serve'));
      const config = serveConfig(parseFlags(serveFlags, rest, env));
      const { runServe } = await import('./serve.ts');
      return runServe(config);
    }
    case 'bootstrap': {
      const kind = rest[0];
      if (helpRequested(rest)) return print(helpText(kind === 'grpc' || kind === 'envoy' ? `bootstrap ${kind}` : 'bootstrap'));
      const { bootstrapText } = await import('./bootstrap-command.ts');
      return print(bootstrapText(rest));
    }
    case 'status': {
      if (helpRequested(rest)) return print(helpText('status'));
      const { runStatus } = await import('./status-command.ts');
      return runStatus(rest);
    }
    case 'demo': {
      if (helpRequested(rest)) return print(helpText('demo'));
      parseFlags([], rest, {});
      const { runDemo } = await import('./demo/demo.ts');
      return runDemo();
    }
    case 'help':
      return print(helpText(helpRequested(rest) || rest.length === 0 ? undefined : rest.join(' ')));
    case 'version':
    case '--version':
      if (helpRequested(rest)) return print(helpText('version'));
      parseFlags([], rest, {});
      return print(`kube-xds ${packageVersion()}\n`);
    case '--help':
    case '-h':
      return print(helpText());
    case undefined:
      process.stderr.write(helpText());
      return 2;
    default:
      throw configError(`unknown command "${command}" (try kube-xds help)`);
  }
}

function print(text: string): number {
  process.stdout.write(text);
  return 0;
}

function packageVersion(): string {
  return JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
}

/** Writes after the reader has gone (`kube-xds help | head -1`) fail with EPIPE. */
function ignoreClosedPipe(error: NodeJS.ErrnoException): void {
  // Nobody wants the rest, and serve keeps serving when its log reader goes away.
  if (error.code !== 'EPIPE') throw error;
}

export async function runCli(): Promise<void> {
  process.stdout.on('error', ignoreClosedPipe);
  process.stderr.on('error', ignoreClosedPipe);
  try {
    process.exitCode = await main(process.argv.slice(2), process.env);
  } catch (error) {
    const message = error instanceof KubeXdsError ? `kube-xds: ${error.message}` : `kube-xds: ${describeError(error)}`;
    process.stderr.write(`${message}\n`);
    process.exitCode = error instanceof KubeXdsError && error.code === 'KXDS_BAD_CONFIG' ? 2 : 1;
  }
}
