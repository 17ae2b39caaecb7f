// The kube-xds command line as the manifests may use it: subcommands, their flags (all take
// a value) and the environment variables `serve` reads. Manifests naming anything else would
// make the control plane exit at start-up, which only a cluster would show.
import { bootstrapFlags } from '../../bin/bootstrap-command.ts';
import { envName, parseFlags, type FlagSpec } from '../../bin/flags.ts';
import { serveFlags } from '../../bin/serve.ts';
import type { Container } from './render.ts';

const specs: Record<string, readonly FlagSpec[]> = {
  serve: serveFlags,
  'bootstrap grpc': bootstrapFlags.grpc,
  'bootstrap envoy': bootstrapFlags.envoy,
};

export const subcommandFlags: Record<string, readonly string[]> = Object.fromEntries(
  Object.entries(specs).map(([subcommand, flags]) => [subcommand, flags.map((flag) => `--${flag.name}`)]),
);

export const serveEnv: readonly string[] = serveFlags.map((flag) => envName(flag.name));

/** The image's CMD when a manifest gives no args. */
const defaultArgs = ['serve'];

export interface Invocation {
  subcommand: string;
  /** Flag -> values, in order (`--namespace` may repeat). */
  flags: Map<string, string[]>;
}

/**
 * The kube-xds invocation a container makes, or undefined when it runs something else (the
 * examples run node scripts from the same image). Throws on what the CLI would refuse.
 */
export function invocation(container: Container): Invocation | undefined {
  const command = container.command;
  if (command !== undefined && !(command.length === 2 && command[0] === 'node' && command[1]!.endsWith('bin/kube-xds.js'))) {
    return undefined;
  }
  const args = container.args ?? defaultArgs;
  const subcommand = args[0] === 'bootstrap' ? `bootstrap ${args[1]}` : (args[0] ?? '');
  const known = subcommandFlags[subcommand];
  if (!known) throw new Error(`container ${container.name}: unknown subcommand "${subcommand}"`);
  const flags = new Map<string, string[]>();
  const rest = args.slice(subcommand.split(' ').length);
  for (let index = 0; index < rest.length; index++) {
    const token = rest[index]!;
    const [flag, inline] = token.startsWith('--') ? splitOnce(token, '=') : [token, undefined];
    if (!known.includes(flag)) throw new Error(`container ${container.name}: "${subcommand}" has no flag or argument "${token}"`);
    const value = inline ?? rest[++index];
    if (value === undefined || value.startsWith('--')) throw new Error(`container ${container.name}: ${flag} needs a value`);
    flags.set(flag, [...(flags.get(flag) ?? []), value]);
  }
  // The CLI's own parser has the last word on what it accepts.
  parseFlags(specs[subcommand]!, rest, {});
  return { subcommand, flags };
}

/** A `serve` setting from its flag, else its environment variable (literal values only). */
export function serveSetting(container: Container, call: Invocation, flag: string, env: string): string | undefined {
  return call.flags.get(flag)?.at(-1) ?? container.env?.find((variable) => variable.name === env)?.value;
}

/** The port of a `host:port` address ("0.0.0.0:18000", "[::]:18000"). */
export function addressPort(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`"${address}" has no valid port`);
  return port;
}

function splitOnce(token: string, separator: string): [string, string | undefined] {
  const at = token.indexOf(separator);
  return at < 0 ? [token, undefined] : [token.slice(0, at), token.slice(at + 1)];
}
