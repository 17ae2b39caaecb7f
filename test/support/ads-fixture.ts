// A real ADS server on 127.0.0.1 with its cache, and raw clients that are closed with it.
import { classifyNode } from '../../envoy-config/client-class.ts';
import { AdsServer, type AdsServerOptions } from '../../control-plane/ads-server.ts';
import { noObserver, type AdsObserver } from '../../control-plane/observer.ts';
import type { TypeUrl } from '../../control-plane/types.ts';
import { Snapshot, type SnapshotMessages } from '../../control-plane/snapshot.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import type { ClientClass } from '../../envoy-config/resource-set.ts';
import { RawAdsClient, envoyNode, grpcNode } from './raw-ads-client.ts';
import { RawDeltaClient } from './raw-delta-client.ts';
import type { envoy } from '../../generated/envoy.js';

/** What the server reported to its observer, kept for assertions. */
export class RecordingObserver implements AdsObserver {
  readonly nacks: { type: TypeUrl; nodeId?: string; message: string }[] = [];
  readonly unresolvedNames: { type: TypeUrl; name: string; didYouMean: readonly string[] }[] = [];
  readonly closed: string[] = [];
  readonly limits: string[] = [];
  responseWritten = noObserver.responseWritten;
  pushed = noObserver.pushed;
  nacked: AdsObserver['nacked'] = (type, client, nack) => void this.nacks.push({ type, nodeId: client.nodeId, message: nack.message });
  unresolved: AdsObserver['unresolved'] = (type, _client, name, didYouMean) => void this.unresolvedNames.push({ type, name, didYouMean });
  streamClosed: AdsObserver['streamClosed'] = (_client, reason) => void this.closed.push(reason);
  limitExceeded: AdsObserver['limitExceeded'] = (limit) => void this.limits.push(limit);
}

export class AdsFixture {
  readonly cache = new SnapshotCache();
  readonly server: AdsServer;
  readonly observed = new RecordingObserver();
  readonly #clients: Array<{ close(): void }> = [];
  address = '';

  constructor(options: Partial<AdsServerOptions> = {}) {
    this.server = new AdsServer(this.cache, classifyNode, options, this.observed);
  }

  static async start(options: Partial<AdsServerOptions> = {}): Promise<AdsFixture> {
    const fixture = new AdsFixture(options);
    const port = await fixture.server.start('127.0.0.1:0');
    fixture.address = `127.0.0.1:${port}`;
    return fixture;
  }

  set(messages: SnapshotMessages, nodeClass: ClientClass = 'proxyless'): Snapshot {
    const snapshot = Snapshot.fromMessages(messages);
    this.cache.set(nodeClass, snapshot);
    return snapshot;
  }

  client(node: envoy.config.core.v3.INode | null = grpcNode()): RawAdsClient {
    const client = new RawAdsClient(this.address, node);
    this.#clients.push(client);
    return client;
  }

  /** A raw incremental (DeltaAggregatedResources) client; Envoy is the delta client in practice. */
  deltaClient(node: envoy.config.core.v3.INode | null = envoyNode('delta-client')): RawDeltaClient {
    const client = new RawDeltaClient(this.address, node);
    this.#clients.push(client);
    return client;
  }

  async stop(): Promise<void> {
    for (const client of this.#clients) client.close();
    await this.server.stop();
  }
}
