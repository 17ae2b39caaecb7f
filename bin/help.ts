// The help text, made from the flag lists themselves: an overview of every command, or one
// command (`kube-xds help serve`, `kube-xds serve --help`).
import { configError } from '../common/errors.ts';
import { bootstrapFlags } from './bootstrap-flags.ts';
import { durationHelp, flagHelp, type FlagSpec } from './flags.ts';
import { serveFlags } from './serve-config.ts';
import { statusFlags, statusNotes } from './status-command.ts';

interface CommandHelp {
  readonly usage: string;
  readonly summary: string;
  readonly flags?: readonly FlagSpec[];
  /** Each flag may come from its KUBE_XDS_* environment variable instead. */
  readonly readsEnv?: boolean;
  readonly notes?: readonly string[];
}

/** Keyed by the words that name the command. */
const commands: Readonly<Record<string, CommandHelp>> = {
  serve: {
    usage: 'kube-xds serve [flags]',
    summary: 'watch Kubernetes (or a folder) and serve ADS',
    flags: serveFlags,
    readsEnv: true,
    notes: ['A flag wins over its environment variable; a repeatable flag\'s variable is comma-separated.', durationHelp],
  },
  'bootstrap grpc': {
    usage: 'kube-xds bootstrap grpc [flags]',
    summary: 'print a GRPC_XDS_BOOTSTRAP file for proxyless gRPC clients',
    flags: bootstrapFlags.grpc,
    notes: ['Flags only: serve\'s KUBE_XDS_* variables are not read here.'],
  },
  'bootstrap envoy': {
    usage: 'kube-xds bootstrap envoy [flags]',
    summary: 'print an Envoy bootstrap (YAML) for a gateway or sidecar',
    flags: bootstrapFlags.envoy,
    notes: ['Flags only: serve\'s KUBE_XDS_* variables are not read here.'],
  },
  status: {
    usage: 'kube-xds status [flags]',
    summary: 'every connected client and its sync state per type',
    flags: statusFlags,
    notes: statusNotes,
  },
  demo: {
    usage: 'kube-xds demo',
    summary: 'run the demo (per-call balancing vs a ClusterIP-style client)',
    notes: ['No cluster needed. The Envoy gateway part uses $ENVOY_BIN, else envoy on PATH, else the test peers\' Envoy; without one it is skipped.'],
  },
  help: { usage: 'kube-xds help [COMMAND]', summary: 'this text, or one command\'s (also: kube-xds COMMAND -h, --help)' },
  version: { usage: 'kube-xds version', summary: 'print the version (also: kube-xds --version)' },
};

const title = 'kube-xds: an Envoy xDS control plane for Kubernetes (Envoy gateway, Envoy sidecar, proxyless gRPC)';

/** Every command and its flags, or only the commands `topic` names ("bootstrap" names both kinds). */
export function helpText(topic?: string): string {
  if (topic === undefined) {
    const usage = Object.values(commands).map((command) => `  ${command.usage.padEnd(36)} ${command.summary}`);
    const details = Object.values(commands).filter((command) => command.flags || command.notes).map(commandText);
    return [title, '', 'Usage:', ...usage, '', details.join('\n\n'), ''].join('\n');
  }
  const chosen = Object.entries(commands).filter(([name]) => name === topic || name.startsWith(`${topic} `));
  if (chosen.length === 0) throw configError(`unknown command "${topic}" (try kube-xds help)`);
  return chosen.map(([, command]) => commandText(command)).join('\n\n') + '\n';
}

function commandText(command: CommandHelp): string {
  const lines = [`${command.usage}: ${command.summary}`];
  if (command.flags?.length) lines.push(flagHelp(command.flags, command.readsEnv ?? false));
  for (const note of command.notes ?? []) lines.push(`  ${note}`);
  return lines.join('\n');
}
