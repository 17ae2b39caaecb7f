// Where the Kubernetes client configuration comes from: --kubeconfig, else KUBECONFIG (files
// merged as kubectl does: the first definition of a name wins) or ~/.kube/config, else the
// in-cluster service account. client-node alone would silently fall back to
// http://localhost:8080; we fail with a clear configuration error instead.
//
// Tokens, token files, client certificates and CAs need nothing but node:https; client-node
// (about 1,000 modules, 0.6 s and 80 MB to load) is loaded only for a user or cluster with
// anything else, such as an exec plugin, an auth provider or a proxy.
import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { configError, describeError, KubeXdsError } from '../common/errors.ts';
import { directAccess, type ApiAccess } from './api-access.ts';
import { clientNodeAccess } from './client-node-access.ts';
import { yaml } from './lazy-yaml.ts';

const serviceAccount = '/var/run/secrets/kubernetes.io/serviceaccount';

type Fields = Record<string, unknown>;

/** The names of one kubeconfig and their entries, paths already made absolute. */
interface Merged {
  readonly clusters: Map<string, Fields>;
  readonly users: Map<string, Fields>;
  readonly contexts: Map<string, Fields>;
  currentContext?: string;
}

/** The fields handled without client-node; any other field of the entry in use needs it. */
const directFields = {
  cluster: new Set(['server', 'certificate-authority', 'certificate-authority-data', 'insecure-skip-tls-verify', 'tls-server-name', 'extensions']),
  user: new Set(['token', 'tokenFile', 'client-certificate', 'client-certificate-data', 'client-key', 'client-key-data', 'extensions']),
};

/** Relative paths in these fields are relative to the kubeconfig file that holds them. */
const pathFields = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'];

export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): ApiAccess {
  try {
    if (path !== undefined) return fromFiles([path], path);
    const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
    if (listed.length > 0) {
      const present = listed.filter((file) => existsSync(file));
      if (present.length === 0) throw configError(`KUBECONFIG names no file that exists: ${listed.join(delimiter)}`);
      return fromFiles(present, listed.join(delimiter));
    }
    const home = join(homedir(), '.kube', 'config');
    if (existsSync(home)) return fromFiles([home], home);
    if (existsSync(join(serviceAccount, 'token'))) return inCluster(env);
    throw configError('no Kubernetes configuration: pass --kubeconfig, set KUBECONFIG, or run inside a cluster');
  } catch (error) {
    if (error instanceof KubeXdsError) throw error;
    throw configError(`cannot load the Kubernetes configuration${path === undefined ? '' : ` ${path}`}: ${describeError(error)}`, { path });
  }
}

function inCluster(env: NodeJS.ProcessEnv): ApiAccess {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw configError('in a cluster without KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT: pass --kubeconfig');
  // client-node's rule, for API servers behind a plain-HTTP proxy.
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https';
  return directAccess({
    server: `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(serviceAccount, 'ca.crt')),
    tokenFile: join(serviceAccount, 'token'),
  });
}

function fromFiles(files: readonly string[], shownAs: string): ApiAccess {
  const merged: Merged = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) mergeFile(merged, file);
  const fail = (message: string) => configError(`the Kubernetes configuration ${shownAs} ${message}`, { path: shownAs });
  const contextName = merged.currentContext;
  const context = contextName === undefined ? undefined : merged.contexts.get(contextName);
  if (context === undefined) throw fail('names no current cluster (current-context)');
  const clusterName = text(context.cluster);
  const cluster = clusterName === undefined ? undefined : merged.clusters.get(clusterName);
  if (cluster === undefined) throw fail(`has no cluster "${clusterName ?? ''}" for context "${contextName}"`);
  const server = text(cluster.server);
  if (server === undefined || !/^https?:\/\/./.test(server)) throw fail(`gives cluster "${clusterName}" no http(s) server URL`);
  const userName = text(context.user);
  const user = (userName === undefined ? undefined : merged.users.get(userName)) ?? {};

  const direct = Object.keys(cluster).every((key) => directFields.cluster.has(key)) && Object.keys(user).every((key) => directFields.user.has(key));
  if (!direct) {
    return clientNodeAccess(server, {
      clusters: [{ name: clusterName, cluster }],
      users: [{ name: userName ?? 'user', user }],
      contexts: [{ name: contextName, context: { cluster: clusterName, user: userName ?? 'user' } }],
      'current-context': contextName,
    });
  }
  return directAccess({
    server,
    ca: pem(cluster, 'certificate-authority'),
    cert: pem(user, 'client-certificate'),
    key: pem(user, 'client-key'),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName: text(cluster['tls-server-name']),
    token: text(user.token),
    tokenFile: text(user.tokenFile),
  });
}

function mergeFile(merged: Merged, file: string): void {
  const document: unknown = yaml().parse(readFileSync(file, 'utf8'));
  if (document == null) return;
  if (typeof document !== 'object' || Array.isArray(document)) throw configError(`${file} is not a kubeconfig (a YAML mapping)`, { path: file });
  const config = document as Fields;
  const lists = [['clusters', 'cluster', merged.clusters], ['users', 'user', merged.users], ['contexts', 'context', merged.contexts]] as const;
  for (const [list, field, entries] of lists) {
    for (const item of Array.isArray(config[list]) ? config[list] : []) {
      const name = text((item as Fields | null)?.name);
      const entry = (item as Fields | null)?.[field];
      if (name === undefined || entries.has(name) || typeof entry !== 'object' || entry === null) continue;
      entries.set(name, withAbsolutePaths(entry as Fields, dirname(resolve(file))));
    }
  }
  merged.currentContext ??= text(config['current-context']);
}

function withAbsolutePaths(entry: Fields, root: string): Fields {
  const copy = { ...entry };
  for (const field of pathFields) {
    const value = copy[field];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) copy[field] = join(root, value);
  }
  return copy;
}

/** `field` (a file) or `field-data` (base64), as PEM bytes. */
function pem(entry: Fields, field: string): Buffer | undefined {
  const data = text(entry[`${field}-data`]);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const file = text(entry[field]);
  return file === undefined ? undefined : readFileSync(file);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
