// Command-line flags with environment-variable fallbacks, parsed and validated once at the
// entry point. `--name value` and `--name=value`; a repeatable flag may be given many
// times, and its environment variable is comma-separated.
import { configError } from '../common/errors.ts';

export interface FlagSpec {
  readonly name: string;
  readonly help: string;
  /** Placeholder in --help, e.g. HOST:PORT; a flag without one is a boolean switch. */
  readonly value?: string;
  readonly repeatable?: boolean;
  readonly default?: string;
}

export type FlagValues = ReadonlyMap<string, readonly string[]>;

/** KUBE_XDS_ plus the flag name in upper snake case: --xds-address -> KUBE_XDS_XDS_ADDRESS. */
export function envName(flag: string): string {
  return `KUBE_XDS_${flag.toUpperCase().replaceAll('-', '_')}`;
}

export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[], env: NodeJS.ProcessEnv): FlagValues {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const given = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw configError(`unexpected argument "${arg}"`);
    const [name, inline] = splitOnce(arg.slice(2), '=');
    const spec = byName.get(name);
    if (!spec) throw configError(`unknown flag --${name}`);
    let value: string;
    if (!spec.value) value = inline ?? 'true';
    else if (inline !== undefined) value = inline;
    else if (i + 1 < argv.length) value = argv[++i]!;
    else throw configError(`--${name} needs a value (${spec.value})`);
    const values = given.get(name) ?? [];
    if (values.length > 0 && !spec.repeatable) throw configError(`--${name} may be given only once`);
    values.push(value);
    given.set(name, values);
  }
  const result = new Map<string, readonly string[]>();
  for (const spec of specs) {
    const fromEnv = env[envName(spec.name)];
    const values = given.get(spec.name)
      ?? (fromEnv !== undefined && fromEnv !== '' ? (spec.repeatable ? fromEnv.split(',').map((v) => v.trim()).filter(Boolean) : [fromEnv]) : undefined)
      ?? (spec.default !== undefined ? [spec.default] : []);
    result.set(spec.name, values);
  }
  return result;
}

/** `withEnv`: the command also reads each flag from its KUBE_XDS_* variable. */
export function flagHelp(specs: readonly FlagSpec[], withEnv: boolean): string {
  const rows = specs.map((spec) => {
    const left = `  --${spec.name}${spec.value ? ` ${spec.value}` : ''}`;
    const notes = [spec.repeatable ? 'repeatable' : '', spec.default !== undefined ? `default ${spec.default}` : '', withEnv ? `env ${envName(spec.name)}` : '']
      .filter(Boolean)
      .join('; ');
    return `${left.padEnd(38)} ${spec.help} (${notes})`;
  });
  return rows.join('\n');
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

export function single(values: FlagValues, name: string): string | undefined {
  return values.get(name)?.[0];
}

/** host:port or [v6]:port, with a port in 0..65535; `host` comes back without brackets. */
export function parseAddress(flag: string, text: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw configError(`--${flag} must be HOST:PORT (e.g. 0.0.0.0:18000 or [::]:18000), got "${text}"`);
  return { host: match[1] ?? match[2]!, port };
}

/** The inverse of parseAddress: IPv6 hosts get their brackets back. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** "20ms", "1.5s", "30m", "1h"; a bare number means milliseconds. */
export function parseDurationMs(flag: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw configError(`--${flag} must be a duration like 20ms, 5s or 30m, got "${text}"`);
  return Math.round(Number(match[1]) * durationUnits[match[2] ?? 'ms']!);
}

export function parsePort(flag: string, text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw configError(`--${flag} must be a port number 1-65535, got "${text}"`);
  return port;
}
