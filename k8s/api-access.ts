// How requests reach the API server: its address, and the TLS settings and credentials each
// request carries. The common cases (a token or token file, client certificates, a CA, the
// in-cluster service account) are handled here with node:https alone; kubeconfig.ts hands
// anything else (exec plugins, auth providers, proxies) to client-node.
import { readFileSync } from 'node:fs';
import type { Agent, OutgoingHttpHeaders } from 'node:http';

// Not `import ... from 'node:http'`: that ESM facade reads every export, and node:http's
// lazy WebSocket exports load undici (measured: 40-60 ms and 12 MB at start).
const { Agent: HttpAgent } = process.getBuiltinModule('node:http');
const { Agent: HttpsAgent } = process.getBuiltinModule('node:https');

export interface RequestSettings {
  /** Carries the TLS settings. */
  readonly agent: Agent;
  readonly headers: OutgoingHttpHeaders;
  /** `user:password` for basic authentication. */
  readonly auth?: string;
}

export interface ApiAccess {
  /** The API server's base URL without a trailing slash; collection paths are appended. */
  readonly server: string;
  /** What the next request needs: credentials that expire are refreshed here. */
  settings(): Promise<RequestSettings>;
}

export interface DirectAccessOptions {
  readonly server: string;
  /** PEM: the CA bundle that signed the server's certificate, client certificate and key. */
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string;
  readonly token?: string;
  /** Read again once a minute, as client-go does: service account tokens rotate. */
  readonly tokenFile?: string;
}

const tokenRereadMs = 60_000;

/** Access with static TLS settings and a bearer token (or none). */
export function directAccess(options: DirectAccessOptions): ApiAccess {
  const server = options.server.replace(/\/+$/, '');
  // No keep-alive: requests are few (lists, and watches that last minutes), and a pooled
  // connection can be closed by the server just as a request goes out on it.
  const agent = server.startsWith('https:')
    ? new HttpsAgent({
        ...(options.ca && { ca: options.ca }),
        ...(options.cert && { cert: options.cert }),
        ...(options.key && { key: options.key }),
        ...(options.insecureSkipTlsVerify && { rejectUnauthorized: false }),
        ...(options.tlsServerName && { servername: options.tlsServerName }),
      })
    : new HttpAgent();
  let token = options.token;
  let readAt = -Infinity;
  return {
    server,
    async settings() {
      if (options.tokenFile !== undefined && performance.now() - readAt > tokenRereadMs) {
        token = readFileSync(options.tokenFile, 'utf8').trim();
        readAt = performance.now();
      }
      return { agent, headers: token ? { authorization: `Bearer ${token}` } : {} };
    },
  };
}
