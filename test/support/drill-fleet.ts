// The clients of the failure drills (test/drills/): real proxyless gRPC clients (grpc-go and
// grpc-js by default) dialing `xds:///` a Service, and two real Envoys, a gateway on delta
// ADS and a sidecar on state of the world, each with a plain grpc-js client calling through
// it. Every caller calls continuously; the fleet says where the calls landed, which failed,
// and whether every client holds exactly the endpoints it should.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { TestEnvoy } from './envoy.ts';
import { PeerClient, proxylessClients, type ClientName } from './peers.ts';
import type { ServeReplica } from './serve-replica.ts';
import { waitFor } from './wait.ts';

/** KUBE_XDS_DRILL_CLIENTS (comma-separated, or `all`), else grpc-go and grpc-js. */
export function drillClients(): ClientName[] {
  const text = process.env.KUBE_XDS_DRILL_CLIENTS?.trim();
  if (!text) return ['grpc-go', 'grpc-js'];
  if (text === 'all') return [...proxylessClients];
  const wanted = text.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = wanted.filter((name) => !(proxylessClients as readonly string[]).includes(name));
  if (unknown.length) throw new Error(`KUBE_XDS_DRILL_CLIENTS names unknown clients ${unknown.join(', ')}; known: ${proxylessClients.join(', ')}, or all`);
  return wanted as ClientName[];
}

/** The Envoys of every drill: both roles, both ADS wire formats. */
const envoyNodes = [
  { nodeId: 'envoy-gateway', role: 'gateway', ads: 'delta' },
  { nodeId: 'envoy-sidecar', role: 'sidecar', ads: 'sotw' },
] as const;

export interface Caller {
  /** Who calls, for messages: the client, or the Envoy it calls through. */
  readonly label: string;
  readonly client: PeerClient;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
  /** As the client should take it: HEALTHY (the default) or DRAINING. */
  readonly health?: 'HEALTHY' | 'DRAINING';
}

export interface FleetOptions {
  /** Where the proxyless clients' bootstrap files go. */
  readonly dir: string;
  /** The one xDS address every client is given. */
  readonly xdsAddress: string;
  /** The Service in namespace `demo` every caller calls, and its port (the sidecar listens on 127.0.0.1:port). */
  readonly service: string;
  readonly port: number;
  /** The port the Envoy gateway listens on (`--gateway-port` of the control plane). */
  readonly gatewayPort: number;
  readonly clients?: readonly ClientName[];
  /** Each call's deadline (default 5 s). */
  readonly deadlineMs?: number;
}

export class Fleet {
  readonly callers: Caller[] = [];
  /** By node id. */
  readonly envoys = new Map<string, TestEnvoy>();
  readonly clientNames: readonly ClientName[];
  readonly #options: FleetOptions;

  constructor(options: FleetOptions) {
    this.#options = options;
    this.clientNames = options.clients ?? drillClients();
  }

  get authority(): string {
    return `${this.#options.service}.demo.svc.cluster.local:${this.#options.port}`;
  }

  /** The Cluster (and EDS service name) every caller's calls go to. */
  get cluster(): string {
    return `outbound|${this.#options.port}||${this.#options.service}.demo.svc.cluster.local`;
  }

  /** Every xDS node: the proxyless clients', then the Envoys'. */
  get nodeIds(): string[] {
    return [...this.clientNames, ...envoyNodes.map((node) => node.nodeId)];
  }

  /** Starts every part: the proxyless clients, the Envoys, and once those are live their callers. */
  async start(): Promise<void> {
    this.startProxyless();
    await this.startEnvoys();
    this.startEnvoyCallers();
  }

  /** Starts each proxyless client (node id = its name), calling at once. */
  startProxyless(): void {
    for (const name of this.clientNames) {
      const bootstrap = join(this.#options.dir, `${name}.json`);
      writeFileSync(bootstrap, bootstrapText(['grpc', '--xds-address', this.#options.xdsAddress, '--node-id', name, '--zone', 'zone-a']));
      this.callers.push({ label: name, client: PeerClient.start(name, this.#callOptions(`xds:///${this.authority}`, bootstrap)) });
    }
  }

  /** Starts both Envoys; resolves once they are live, which takes their first configuration. */
  async startEnvoys(): Promise<void> {
    const starting = envoyNodes.map(async ({ nodeId, role, ads }) => {
      const envoy = await TestEnvoy.start({ role, ads, nodeId, xdsAddress: this.#options.xdsAddress });
      this.envoys.set(nodeId, envoy);
    });
    const results = await Promise.allSettled(starting);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** Starts a plain grpc-js client through each Envoy (one HTTP/2 connection, the Service's authority). */
  startEnvoyCallers(): void {
    for (const { role, ads } of envoyNodes) {
      const port = role === 'gateway' ? this.#options.gatewayPort : this.#options.port;
      const client = PeerClient.start('grpc-js', { ...this.#callOptions(`127.0.0.1:${port}`), authority: this.authority });
      this.callers.push({ label: `Envoy ${role} (${ads} ADS) <- grpc-js`, client });
    }
  }

  #callOptions(target: string, bootstrap?: string) {
    return { target, ...(bootstrap ? { bootstrap } : {}), rate: 50, deadlineMs: this.#options.deadlineMs ?? 5_000 };
  }

  /** Each caller's calls so far: marks to look at what came after. */
  marks(): Map<Caller, number> {
    return new Map(this.callers.map((caller) => [caller, caller.client.mark]));
  }

  /** Calls failed so far by each caller. */
  failureCounts(): Map<Caller, number> {
    return new Map(this.callers.map((caller) => [caller, caller.client.failures.length]));
  }

  /** Every caller answered by each of `pods` (backend names) after its mark. */
  async waitToReach(pods: readonly string[], marks = new Map<Caller, number>(), timeoutMs = 30_000): Promise<void> {
    await Promise.all(this.callers.map((caller) =>
      caller.client.waitToReach(pods, marks.get(caller) ?? 0, timeoutMs).catch((error) => {
        throw new Error(`${caller.label}: ${(error as Error).message}`);
      }),
    ));
  }

  /** Every caller reaches each of `pods` after its mark, then its last 50 calls land on them alone. */
  async waitSettledOn(pods: readonly string[], marks = new Map<Caller, number>(), timeoutMs = 30_000): Promise<void> {
    await this.waitToReach(pods, marks, timeoutMs);
    const wanted = new Set(pods);
    await Promise.all(this.callers.map(({ label, client }) =>
      waitFor(`${label} to call only ${pods.join(', ')}`, () => client.settledOn(wanted, 50), { timeoutMs }).catch((error) => {
        throw new Error(`${(error as Error).message}; its last calls: ${client.calls.slice(-50).map((call) => call.backend).join(' ')}`);
      }),
    ));
  }

  /** The callers that failed calls (after `since`, by failure count), described; empty when none did. */
  failures(since = new Map<Caller, number>()): string[] {
    return this.callers.flatMap((caller) => {
      const { label, client } = caller;
      const failed = client.failures.slice(since.get(caller) ?? 0);
      if (failed.length === 0) return [];
      const codes = [...new Set(failed.map((failure) => `${failure.code} ${failure.details}`))].slice(0, 3);
      return [`${label}: ${failed.length} failed calls, first at ${failed[0]!.ms} ms of its run: ${codes.join('; ')}`];
    });
  }

  /**
   * Waits until every client holds exactly `expected` (Cluster name -> endpoints, with their
   * health): each Envoy by its own admin (/clusters: the Services' Clusters are exactly those
   * in `expected`); each proxyless client, which asks only for `cluster`, by what the replica
   * its one stream is on sent it and it ACKed (/debug/config, EDS SYNCED). With no
   * `replicas`, the Envoys only. Throws what differs when the wait ends.
   */
  async waitToHold(expected: ReadonlyMap<string, readonly Endpoint[]>, replicas: readonly ServeReplica[], timeoutMs = 30_000): Promise<void> {
    let differences: string[] = [];
    try {
      await waitFor('every client to hold exactly the expected endpoints', async () => {
        differences = await this.#differences(expected, replicas);
        return differences.length === 0;
      }, { timeoutMs, intervalMs: 200 });
    } catch (error) {
      throw new Error(`${(error as Error).message}:\n  ${differences.join('\n  ')}`);
    }
  }

  async #differences(expected: ReadonlyMap<string, readonly Endpoint[]>, replicas: readonly ServeReplica[]): Promise<string[]> {
    const differences: string[] = [];
    const want = (endpoints: readonly Endpoint[]) => endpoints.map(({ address, port, health = 'HEALTHY' }) => `${address}:${port} ${health}`).sort().join(', ');
    for (const [nodeId, envoy] of this.envoys) {
      const held = await envoyHosts(envoy);
      const extra = [...held.keys()].filter((cluster) => cluster.startsWith('outbound|') && !expected.has(cluster));
      if (extra.length > 0) differences.push(`${nodeId} holds Clusters it should not: ${extra.join(', ')}`);
      for (const [cluster, endpoints] of expected) {
        const has = held.get(cluster)?.sort().join(', ');
        if (has !== want(endpoints)) differences.push(`${nodeId} ${cluster}: holds [${has ?? 'no such cluster'}], expected [${want(endpoints)}]`);
      }
    }
    const endpoints = expected.get(this.cluster);
    if (endpoints === undefined || replicas.length === 0) return differences;
    const running = replicas.filter((replica) => replica.running);
    const streams = await Promise.all(running.map(async (replica) => ({ replica, streams: await replica.streams() })));
    for (const nodeId of this.clientNames) {
      const on = streams.flatMap(({ replica, streams }) => streams.filter((stream) => stream.nodeId === nodeId).map(() => replica));
      if (on.length !== 1) {
        differences.push(`${nodeId}: ${on.length} streams (${on.map((replica) => replica.name).join(', ')}), expected one`);
        continue;
      }
      const config = (await on[0]!.config(nodeId)) as DebugConfig;
      const eds = config.streams?.[0]?.types.find((type) => type.type === TypeUrl.Endpoint);
      const assignment = eds?.resources.find((resource) => resource.name === this.cluster)?.config;
      const has = assignment?.endpoints
        ?.flatMap((locality) => locality.lb_endpoints ?? [])
        .map((lb) => `${lb.endpoint.address.socket_address.address}:${lb.endpoint.address.socket_address.port_value} ${lb.health_status ?? 'HEALTHY'}`)
        .sort()
        .join(', ');
      if (eds?.sync !== 'SYNCED' || has !== want(endpoints)) {
        differences.push(`${nodeId} on ${on[0]!.name}: EDS ${eds?.sync ?? 'not asked for'}, holds [${has ?? 'no assignment'}], expected [${want(endpoints)}]`);
      }
    }
    return differences;
  }

  /** Where each node's streams are: `replica#stream id` per node id, over the running replicas. */
  async streamsByNode(replicas: readonly ServeReplica[]): Promise<Map<string, string[]>> {
    const byNode = new Map<string, string[]>(this.nodeIds.map((node) => [node, []]));
    for (const replica of replicas.filter((candidate) => candidate.running)) {
      for (const stream of await replica.streams()) byNode.get(stream.nodeId ?? '')?.push(`${replica.name}#${stream.id}`);
    }
    return byNode;
  }

  /** Ends every caller's run (its summary must agree with the calls counted) and stops the Envoys. */
  async stop(): Promise<void> {
    try {
      await Promise.all(this.callers.map(async ({ label, client }) => {
        const summary = await client.stop();
        const failed = Object.values(summary.failures).reduce((sum, count) => sum + count, 0);
        if (failed !== client.failures.length) throw new Error(`${label}: its summary counts ${failed} failed calls, ${client.failures.length} were reported`);
      }));
    } finally {
      await this.kill();
    }
  }

  /** Cleanup: kills every caller, stops every Envoy. */
  async kill(): Promise<void> {
    for (const { client } of this.callers) client.kill();
    await Promise.all([...this.envoys.values()].map((envoy) => envoy.stop()));
    this.envoys.clear();
  }
}

interface DebugConfig {
  readonly streams?: ReadonlyArray<{
    readonly types: ReadonlyArray<{
      readonly type: string;
      readonly sync: string;
      readonly resources: ReadonlyArray<{ readonly name: string; readonly config?: Assignment | null }>;
    }>;
  }>;
}

interface Assignment {
  readonly endpoints?: ReadonlyArray<{
    readonly lb_endpoints?: ReadonlyArray<{
      readonly endpoint: { readonly address: { readonly socket_address: { readonly address: string; readonly port_value: number } } };
      readonly health_status?: string;
    }>;
  }>;
}

/** Envoy's hosts of every cluster it has, as `address:port HEALTH`, from one /clusters read. */
export async function envoyHosts(envoy: TestEnvoy): Promise<Map<string, string[]>> {
  const clusters = JSON.parse(await envoy.admin('/clusters?format=json')) as {
    cluster_statuses?: Array<{ name: string; host_statuses?: Array<{ address: { socket_address: { address: string; port_value: number } }; health_status: { eds_health_status?: string } }> }>;
  };
  return new Map((clusters.cluster_statuses ?? []).map((status) => [
    status.name,
    (status.host_statuses ?? []).map((host) => `${host.address.socket_address.address}:${host.address.socket_address.port_value} ${host.health_status.eds_health_status ?? 'HEALTHY'}`),
  ]));
}
