// The admin HTTP endpoint: liveness, readiness (initial sync done), Prometheus metrics and
// a JSON view of every connected client's sync state.
import { createServer, type Server } from 'node:http';
import type { AdsServer } from '../control-plane/ads-server.ts';
import type { ModelSource } from '../k8s/source.ts';
import type { SnapshotPipeline } from '../pipeline/snapshot-pipeline.ts';

export interface AdminParts {
  readonly source: ModelSource;
  readonly ads: AdsServer;
  readonly pipeline: SnapshotPipeline;
  /** True once the first snapshots are published. */
  readonly ready: () => boolean;
}

export class AdminServer {
  readonly #parts: AdminParts;
  #server?: Server;

  constructor(parts: AdminParts) {
    this.#parts = parts;
  }

  async start(host: string, port: number): Promise<number> {
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      const send = (status: number, type: string, body: string) => {
        response.writeHead(status, { 'content-type': type });
        response.end(body);
      };
      switch (path) {
        case '/healthz':
          return send(200, 'text/plain', 'ok\n');
        case '/readyz':
          return this.#parts.ready() ? send(200, 'text/plain', 'ready\n') : send(503, 'text/plain', 'initial sync not done\n');
        case '/metrics':
          return send(200, 'text/plain; version=0.0.4', this.#metrics());
        case '/debug/streams':
          return send(200, 'application/json', JSON.stringify(this.#parts.ads.streams(), null, 2) + '\n');
        default:
          return send(404, 'text/plain', 'not found: try /healthz, /readyz, /metrics or /debug/streams\n');
      }
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #metrics(): string {
    const source = this.#parts.source.status();
    const pipeline = this.#parts.pipeline.stats();
    const streams = this.#parts.ads.streams();
    const byClass = new Map<string, number>();
    let nacked = 0;
    for (const stream of streams) {
      byClass.set(stream.nodeClass ?? 'unidentified', (byClass.get(stream.nodeClass ?? 'unidentified') ?? 0) + 1);
      for (const type of stream.types) if (type.lastNack && type.lastNack.version === type.lastVersionSent) nacked++;
    }
    const lines = [
      gauge('kube_xds_ready', 'Initial sync done and snapshots published.', this.#parts.ready() ? 1 : 0),
      gauge('kube_xds_source_synced', 'The source has listed every kind once.', source.synced ? 1 : 0),
      gauge('kube_xds_source_connected', 'The source watch is healthy (0 during an API server outage).', source.connected ? 1 : 0),
      counter('kube_xds_source_restarts_total', 'Watch restarts after errors.', source.restarts),
      counter('kube_xds_source_bad_objects_total', 'Kubernetes objects skipped as malformed.', source.badObjects),
      gauge('kube_xds_source_rejected_objects', 'Objects whose current version is rejected as malformed (a manifest file that does not parse counts once).', source.rejectedObjects),
      gauge('kube_xds_source_duplicate_objects', 'Objects the file source finds defined more than once (the file that sorts last is used).', source.duplicateObjects),
      gauge('kube_xds_services', 'Services in the model.', this.#parts.source.services().size),
      counter('kube_xds_snapshot_flushes_total', 'Coalesced model changes applied.', pipeline.flushes),
      counter('kube_xds_snapshot_endpoint_only_flushes_total', 'Flushes that only moved endpoints.', pipeline.endpointOnlyFlushes),
      counter('kube_xds_build_failures_total', 'Service builds that failed (the Service keeps its previous resources).', pipeline.failedBuilds),
      gauge('kube_xds_conflicting_services', 'Services left out because their resource names clash.', pipeline.conflictingServices),
      '# HELP kube_xds_streams Connected ADS streams by client class.',
      '# TYPE kube_xds_streams gauge',
      ...[...byClass].map(([nodeClass, count]) => `kube_xds_streams{class="${nodeClass}"} ${count}`),
      gauge('kube_xds_streams_nacking', 'Stream types whose latest response was rejected.', nacked),
    ];
    return lines.join('\n') + '\n';
  }
}

function gauge(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}`;
}

function counter(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} counter\n${name} ${value}`;
}
