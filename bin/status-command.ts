// `kube-xds status`: every client connected to a running control plane and where it stands
// on each type, read from the admin address's /debug/clients; then the Routes not wholly
// applied, from /debug/routes.
import { configError } from '../common/errors.ts';
import { routeProblemLines, type RouteStatusView } from '../ops/route-problems.ts';
import { statusTable, type ClientStatus } from '../ops/status-table.ts';
import { joinHostPort, parseAddress, parseDurationMs, parseFlags, single, type FlagSpec } from './flags.ts';

export const statusFlags: readonly FlagSpec[] = [
  { name: 'admin-address', value: 'HOST:PORT', default: '127.0.0.1:18080', help: "the control plane's admin address (serve --admin-address)" },
  { name: 'output', value: 'table|json', default: 'table', help: 'a table, or the JSON /debug/clients answers' },
  { name: 'node', value: 'ID', help: 'only the clients with this node id' },
  { name: 'timeout', value: 'DURATION', default: '5s', help: 'give up when the admin address has not answered by then' },
];

export const statusNotes: readonly string[] = [
  'In a cluster, forward the admin port first: kubectl -n kube-xds port-forward deploy/kube-xds 18080',
  'CDS EDS LDS RDS: SYNCED (the client ACKed the latest response), STALE (not ACKed yet), NACKED (rejected; the message is listed below the table), NOT SENT (nothing to send yet: the class is not ready, or the names asked for do not exist) or - (not asked for).',
  'Below the table (not with --output json): each GRPCRoute or HTTPRoute condition that is not True, and PartiallyInvalid (rules left out for every client or for some).',
  'Exits 1 when the admin address cannot be reached or no client has the --node id.',
];

const clientsPath = '/debug/clients';
const routesPath = '/debug/routes';

// Not `import ... from 'node:http'`: help.ts imports this module, so every command would build
// node:http's ESM facade, whose lazy WebSocket exports load undici (measured: 40-60 ms, 12 MB).
const { get: httpGet } = process.getBuiltinModule('node:http');

/** Flags only, like bootstrap: serve's KUBE_XDS_ADMIN_ADDRESS is where it listens, not where to dial. */
export async function runStatus(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(statusFlags, argv, {});
  const addressText = single(flags, 'admin-address')!;
  const { host, port } = parseAddress('admin-address', addressText);
  const output = single(flags, 'output')!;
  if (output !== 'table' && output !== 'json') throw configError(`--output must be table or json, got "${output}"`);
  const timeoutText = single(flags, 'timeout')!;
  const timeoutMs = parseDurationMs('timeout', timeoutText);
  if (timeoutMs === 0) throw configError('--timeout must be more than 0');
  const node = single(flags, 'node');

  const base = `http://${joinHostPort(host, port)}`;
  let clients = await fetchClients(`${base}${clientsPath}`, addressText, { ms: timeoutMs, text: timeoutText });
  if (node !== undefined) {
    const connected = clients.length;
    clients = clients.filter((client) => client.nodeId === node);
    if (clients.length === 0) {
      process.stderr.write(`kube-xds: no connected client has node id "${node}" (${connected} ${connected === 1 ? 'client is' : 'clients are'} connected to ${addressText})\n`);
      return 1;
    }
  }
  if (output === 'json') {
    process.stdout.write(JSON.stringify(clients, null, 2) + '\n');
  } else if (clients.length === 0) {
    process.stdout.write(`no clients are connected to the kube-xds at ${addressText}\n`);
  } else {
    process.stdout.write(statusTable(clients, { now: new Date(), colour: process.stdout.isTTY === true && process.stdout.hasColors() }));
  }
  if (output === 'table' && node === undefined) {
    const problems = routeProblemLines(await fetchRoutes(`${base}${routesPath}`, timeoutMs));
    if (problems !== '') process.stdout.write(`\n${problems}`);
  }
  return 0;
}

/** The Route statuses; none from a kube-xds older than /debug/routes or one that fails to answer it (the clients are the command's point). */
async function fetchRoutes(url: string, timeoutMs: number): Promise<RouteStatusView[]> {
  try {
    const answer = await get(url, timeoutMs);
    const routes: unknown = answer.status === 200 ? JSON.parse(answer.body) : [];
    return Array.isArray(routes) ? routes.filter(isRouteStatus) : [];
  } catch {
    return [];
  }
}

function isRouteStatus(value: unknown): value is RouteStatusView {
  const route = value as RouteStatusView | null;
  return (
    typeof route === 'object' &&
    route !== null &&
    typeof route.name === 'string' &&
    Array.isArray(route.parents) &&
    route.parents.every((parent) => typeof parent === 'object' && parent !== null && typeof parent.parentRef === 'object' && parent.parentRef !== null && Array.isArray(parent.conditions))
  );
}

async function fetchClients(url: string, address: string, timeout: { ms: number; text: string }): Promise<ClientStatus[]> {
  let answer: { status: number; statusText: string; body: string };
  try {
    answer = await get(url, timeout.ms);
  } catch (error) {
    throw new Error(`cannot reach the kube-xds admin address ${address}: ${reason(error, timeout.text)}; is \`kubectl port-forward deploy/kube-xds 18080\` (or kube-xds serve) running?`);
  }
  if (answer.status !== 200) {
    throw new Error(`the kube-xds admin address ${address} answered ${clientsPath} with ${answer.status} ${answer.statusText}${answer.status === 404 ? ' (a kube-xds older than this CLI?)' : ''}`);
  }
  let clients: unknown;
  try {
    clients = JSON.parse(answer.body);
  } catch {
    clients = undefined;
  }
  if (!isClientList(clients)) throw new Error(`the kube-xds admin address ${address} answered ${clientsPath} with something that is not a list of clients`);
  return clients;
}

/** node:http rather than fetch, which refuses ports it deems unsafe for browsers (6000, 6665, ...). */
function get(url: string, timeoutMs: number): Promise<{ status: number; statusText: string; body: string }> {
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { signal }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', body: Buffer.concat(chunks).toString('utf8') }));
    });
    request.on('error', (error) => reject(signal.aborted ? signal.reason : error));
  });
}

/** Enough of the shape that the table cannot trip over it. */
function isClientList(value: unknown): value is ClientStatus[] {
  return (
    Array.isArray(value) &&
    value.every(
      (client) =>
        typeof client === 'object' &&
        client !== null &&
        typeof client.id === 'number' &&
        typeof client.protocol === 'string' &&
        typeof client.connectedAt === 'string' &&
        Array.isArray(client.types) &&
        client.types.every((type: unknown) => typeof type === 'object' && type !== null && Array.isArray((type as { unresolved?: unknown }).unresolved)),
    )
  );
}

function reason(error: unknown, timeout: string): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeout}`;
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'no such host';
    case 'ECONNRESET':
      return 'the connection was closed';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
