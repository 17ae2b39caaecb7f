// The API server requests kube-xds makes, over node:http(s): list a collection, watch it
// from a resourceVersion (one JSON event per line), and merge-patch a Route's status. Objects stay plain JSON: they
// are read once by normalize.ts and not kept.
import type { IncomingMessage } from 'node:http';
import type { ApiAccess } from './api-access.ts';

// Not imported: see api-access.ts.
const { request: httpRequest } = process.getBuiltinModule('node:http');
const { request: httpsRequest } = process.getBuiltinModule('node:https');

export type Query = Readonly<Record<string, string | undefined>>;

/** An answer other than 200, with the API server's own message when it sent a Status. */
export class ApiStatusError extends Error {
  readonly status: number;

  constructor(verb: 'list' | 'watch' | 'patch', status: number, message: string) {
    super(`${verb}: HTTP ${status}${message ? `: ${message}` : ''}`);
    this.name = 'ApiStatusError';
    this.status = status;
  }
}

/**
 * Items per list page: a large collection never has to be held whole. Four times client-go's
 * 500: at 20,000 objects, each page's round trip and delivery into the model cost more than
 * its size (start to ready at 10,000 Services: 3.0 s -> 2.5-2.8 s, `node test/bench/run.ts scale`).
 */
export const listPageSize = 2_000;

/**
 * Lists the collection a page at a time, handing each page's items to `onItems` as it
 * arrives; resolves with the list's resourceVersion. Each page must arrive within
 * `timeoutMs`. An expired continue token (HTTP 410) rejects: the list starts over.
 */
export async function listCollection(
  access: ApiAccess,
  path: string,
  query: Query,
  signal: AbortSignal,
  timeoutMs: number,
  onItems: (items: readonly unknown[]) => void,
): Promise<string> {
  let resourceVersion: string | undefined;
  let token: string | undefined;
  do {
    const page = await listPage(access, path, { ...query, limit: String(listPageSize), continue: token }, signal, timeoutMs);
    resourceVersion ??= page.resourceVersion;
    onItems(page.items);
    token = page.continue;
  } while (token !== undefined);
  return resourceVersion;
}

async function listPage(access: ApiAccess, path: string, query: Query, signal: AbortSignal, timeoutMs: number) {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await get('list', access, path, query, AbortSignal.any([signal, timeout]));
    const body = await readBody(response);
    if (response.statusCode !== 200) throw new ApiStatusError('list', response.statusCode ?? 0, statusMessage(body));
    const list = (JSON.parse(body.toString('utf8')) ?? {}) as { metadata?: { resourceVersion?: unknown; continue?: unknown }; items?: unknown };
    const resourceVersion = list.metadata?.resourceVersion;
    if (typeof resourceVersion !== 'string' || !(Array.isArray(list.items) || list.items == null)) {
      throw new Error(`list: ${path} answered something that is not a list`);
    }
    const next = list.metadata?.continue;
    return { resourceVersion, items: (list.items as unknown[] | null) ?? [], continue: typeof next === 'string' && next !== '' ? next : undefined };
  } catch (error) {
    if (timeout.aborted && !signal.aborted) throw new Error(`list: no answer within ${timeoutMs} ms`);
    throw error;
  }
}

export interface WatchHandlers {
  /** The server accepted the watch (200); events follow. */
  opened(): void;
  /** One event, in order. A throw ends the watch with that error. */
  event(type: string, object: unknown): void;
}

/**
 * Watches until the server ends the stream ('closed'), nothing arrives for `idleMs`
 * ('idle': the connection may be dead), or `signal` aborts (rejects). An answer other than
 * 200 rejects with an ApiStatusError.
 */
export async function watchCollection(access: ApiAccess, path: string, query: Query, signal: AbortSignal, idleMs: number, handlers: WatchHandlers): Promise<'closed' | 'idle'> {
  const response = await get('watch', access, path, { ...query, watch: 'true' }, signal);
  if (response.statusCode !== 200) throw new ApiStatusError('watch', response.statusCode ?? 0, statusMessage(await readBody(response)));
  handlers.opened();
  return new Promise((resolve, reject) => {
    let partial: string[] = [];
    let settled = false;
    const finish = (error?: Error, outcome: 'closed' | 'idle' = 'closed') => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      response.destroy();
      if (error) reject(error);
      else resolve(outcome);
    };
    const idle = setTimeout(() => finish(undefined, 'idle'), idleMs).unref();
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      if (settled) return;
      idle.refresh();
      let start = 0;
      for (let end = chunk.indexOf('\n'); end !== -1; end = chunk.indexOf('\n', start)) {
        partial.push(chunk.slice(start, end));
        start = end + 1;
        const line = partial.join('');
        partial = [];
        if (line.trim() === '') continue;
        try {
          const event = JSON.parse(line) as { type?: unknown; object?: unknown };
          handlers.event(String(event.type), event.object);
        } catch (error) {
          return finish(error instanceof SyntaxError ? new Error(`watch: a line that is not JSON: ${line.slice(0, 80)}`) : (error as Error));
        }
        if (settled) return;
      }
      if (start < chunk.length) partial.push(chunk.slice(start));
    });
    const lost = (error?: Error) => new Error(`watch: the connection closed mid-stream${error ? ` (${(error as NodeJS.ErrnoException).code ?? error.message})` : ''}`, { cause: error });
    response.once('end', () => finish());
    response.on('error', (error) => finish(signal.aborted ? error : lost(error)));
    response.once('close', () => finish(response.complete ? undefined : lost()));
  });
}

/**
 * A JSON merge patch (RFC 7386) of `path`, e.g. a Route's /status subresource; rejects with
 * an ApiStatusError unless the server answers 200 (409 when `body` names a resourceVersion
 * that is no longer current). The answer must arrive within `timeoutMs`.
 */
export async function mergePatch(access: ApiAccess, path: string, body: unknown, signal: AbortSignal, timeoutMs: number): Promise<void> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await get('patch', access, path, {}, AbortSignal.any([signal, timeout]), JSON.stringify(body));
    const answer = await readBody(response);
    if (response.statusCode !== 200) throw new ApiStatusError('patch', response.statusCode ?? 0, statusMessage(answer));
  } catch (error) {
    if (timeout.aborted && !signal.aborted) throw new Error(`patch: no answer within ${timeoutMs} ms`);
    throw error;
  }
}

/** A GET, or with `patch` a PATCH carrying that merge patch. */
async function get(verb: 'list' | 'watch' | 'patch', access: ApiAccess, path: string, query: Query, signal: AbortSignal, patch?: string): Promise<IncomingMessage> {
  signal.throwIfAborted();
  const settings = await access.settings();
  signal.throwIfAborted();
  const url = new URL(access.server + path);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const headers = {
    accept: 'application/json',
    ...(patch === undefined ? {} : { 'content-type': 'application/merge-patch+json', 'content-length': Buffer.byteLength(patch) }),
    ...settings.headers,
  };
  return new Promise((resolve, reject) => {
    const request = send(url, { method: patch === undefined ? 'GET' : 'PATCH', agent: settings.agent, auth: settings.auth, headers, signal });
    request.once('response', resolve);
    // `on`: a request can fail after its response has arrived; that is the response's to report.
    request.on('error', (error) => reject(signal.aborted ? error : new Error(`${verb}: ${error.message}`, { cause: error })));
    request.end(patch);
  });
}

function readBody(response: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks)));
    response.on('error', reject);
    response.once('close', () => {
      if (!response.complete) reject(new Error('the connection closed before the whole answer arrived'));
    });
  });
}

/** The `message` of a Kubernetes Status body, or ''. */
function statusMessage(body: Buffer): string {
  try {
    const message = (JSON.parse(body.toString('utf8')) as { message?: unknown } | null)?.message;
    return typeof message === 'string' ? message : '';
  } catch {
    return '';
  }
}

/** The namespace, name and resourceVersion ('' when absent) of an object as listed or watched; undefined without a namespace and name. */
export function objectMeta(object: unknown): { readonly namespace: string; readonly name: string; readonly resourceVersion: string } | undefined {
  const metadata = (object as { metadata?: { namespace?: unknown; name?: unknown; resourceVersion?: unknown } } | null)?.metadata;
  if (typeof metadata?.namespace !== 'string' || typeof metadata.name !== 'string') return undefined;
  return { namespace: metadata.namespace, name: metadata.name, resourceVersion: typeof metadata.resourceVersion === 'string' ? metadata.resourceVersion : '' };
}
