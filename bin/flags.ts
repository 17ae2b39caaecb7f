// Command-line flags with environment-variable fallbacks, parsed and validated once at the
// entry point. Node's util.parseArgs splits the arguments (`--name value`, `--name=value`,
// `--`); the rules are ours: a repeatable flag may be given many times, and its environment
// variable is comma-separated.
import { parseArgs } from 'node:util';
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

type Token = ReturnType<typeof tokenize>[number];

/** Non-strict, so every mistake reaches parseFlags and gets its message there. */
function tokenize(specs: readonly FlagSpec[], argv: readonly string[]) {
  const options = Object.fromEntries(specs.map((spec) => [spec.name, { type: spec.value ? ('string' as const) : ('boolean' as const) }]));
  return parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true }).tokens;
}

/** -h or --help anywhere before a `--`. */
export function helpRequested(argv: readonly string[]): boolean {
  return tokenize([], argv).some((token) => token.kind === 'option' && (token.name === 'help' || token.rawName === '-h'));
}

export function parseFlags(specs: readonly FlagSpec[], argv: readonly string[], env: NodeJS.ProcessEnv): FlagValues {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const given = new Map<string, string[]>();
  for (const token of tokenize(specs, argv)) {
    if (token.kind === 'positional') throw configError(`unexpected argument "${token.value}"`);
    if (token.kind !== 'option') continue;
    const spec = byName.get(token.name);
    if (!spec) throw configError(`unknown flag ${token.rawName}`);
    const values = given.get(spec.name) ?? [];
    if (values.length > 0 && !spec.repeatable) throw configError(`--${spec.name} may be given only once`);
    values.push(flagValue(spec, token));
    given.set(spec.name, values);
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

function flagValue(spec: FlagSpec, token: Extract<Token, { kind: 'option' }>): string {
  if (!spec.value) {
    if (token.inlineValue) throw configError(`--${spec.name} takes no value`);
    return 'true';
  }
  // `--xds-address --admin-address x` forgot a value; it does not mean "--admin-address".
  if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-'))) {
    throw configError(`--${spec.name} needs a value (${spec.value}); one that starts with "-" is written --${spec.name}=VALUE`);
  }
  return token.value;
}

/** `withEnv`: the command also reads each flag from its KUBE_XDS_* variable. */
export function flagHelp(specs: readonly FlagSpec[], withEnv: boolean): string {
  const rows = specs.map((spec) => {
    const left = `  --${spec.name}${spec.value ? ` ${spec.value}` : ''}`;
    const notes = [spec.repeatable ? 'repeatable' : '', spec.default !== undefined ? `default ${spec.default}` : '', withEnv ? `env ${envName(spec.name)}` : '']
      .filter(Boolean)
      .join('; ');
    return `${left.padEnd(38)} ${spec.help}${notes ? `\n${' '.repeat(39)}${notes}` : ''}`;
  });
  return rows.join('\n');
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

export const durationHelp = 'DURATION is a number with a unit: ms, s, m or h (10ms, 1.5s, 30m, 1h). A bare number other than 0 is refused: 30 could mean seconds or minutes.';

/** "20ms", "1.5s", "30m", "1h", or "0"; see durationHelp. */
export function parseDurationMs(flag: string, text: string): number {
  const trimmed = text.trim();
  if (/^0+(\.0+)?$/.test(trimmed)) return 0;
  if (/^\d+(\.\d+)?$/.test(trimmed)) throw configError(`--${flag} needs a unit: ${trimmed}ms, ${trimmed}s, ${trimmed}m or ${trimmed}h?`);
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(trimmed);
  if (!match) throw configError(`--${flag} must be a duration like 20ms, 5s or 30m, got "${text}"`);
  return Math.round(Number(match[1]) * durationUnits[match[2]!]!);
}

/** A whole number of at least 1. */
export function parseCount(flag: string, text: string): number {
  const count = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || count < 1 || !Number.isSafeInteger(count)) throw configError(`--${flag} must be a whole number of at least 1, got "${text}"`);
  return count;
}

const byteUnits: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };

/** "4096", "512Ki", "16Mi" or "1Gi": a size in bytes, at least 1 KiB. */
export function parseBytes(flag: string, text: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(text.trim());
  const bytes = match ? Number(match[1]) * byteUnits[match[2] ?? '']! : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1024) throw configError(`--${flag} must be a size of at least 1Ki, like 4096, 512Ki, 16Mi or 1Gi, got "${text}"`);
  return bytes;
}

/** 16777216 as "16Mi": how a byte size flag's default is shown. */
export function formatBytes(bytes: number): string {
  for (const unit of ['Gi', 'Mi', 'Ki'] as const) if (bytes % byteUnits[unit]! === 0) return `${bytes / byteUnits[unit]!}${unit}`;
  return String(bytes);
}

export function parsePort(flag: string, text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw configError(`--${flag} must be a port number 1-65535, got "${text}"`);
  return port;
}
