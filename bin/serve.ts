// `kube-xds serve`: the running control plane that wires the stages:
// source (Kubernetes or files) -> pipeline (builders) -> snapshot cache -> ADS server.
import { flushCompileCache } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { describeError, systemErrorText } from '../common/errors.ts';
import { configureLog, log } from '../common/log.ts';
import { classifyNode } from '../envoy-config/client-class.ts';
import { AdsServer, defaultAdsServerOptions } from '../control-plane/ads-server.ts';
import { describeCertificate } from '../control-plane/certificate-files.ts';
import { csdsService } from '../control-plane/csds.ts';
import { fanOut } from '../control-plane/observer.ts';
import { SnapshotCache } from '../control-plane/snapshot-cache.ts';
import { tlsServerCredentials, type TlsCredentials } from '../control-plane/transport-security.ts';
import { clientClasses } from '../envoy-config/resource-set.ts';
import { unsupportedFor } from '../envoy-config/route-support.ts';
import { FileSource } from '../k8s/file-source.ts';
import { KubeSource } from '../k8s/kube-source.ts';
import { loadKubeConfig } from '../k8s/kubeconfig.ts';
import type { ModelSource, SourceObserver } from '../k8s/source.ts';
import { SnapshotPipeline } from '../pipeline/snapshot-pipeline.ts';
import { RecentActivity } from '../ops/activity.ts';
import { AdminServer } from '../ops/admin-server.ts';
import { Metrics } from '../ops/metrics.ts';
import type { OpsParts } from '../ops/parts.ts';
import { joinHostPort } from './flags.ts';
import type { ServeConfig } from './serve-config.ts';

export { serveConfig, serveFlags, type ServeConfig } from './serve-config.ts';

export function createSource(config: ServeConfig, observer?: SourceObserver): ModelSource {
  const options = { namespaces: config.namespaces, selector: config.selector, observer, whyUnserved: unsupportedFor, gatewayClassName: config.gatewayClassName };
  if (config.source.kind === 'file') return new FileSource(config.source.dir, options);
  return new KubeSource(loadKubeConfig(config.source.kubeconfig), options);
}

export interface RunningPorts {
  /** The plaintext xDS port; absent with --xds-address off. */
  readonly xds?: number;
  readonly xdsTls?: number;
  readonly admin: number;
  readonly probe: number;
}

/** The control plane: servers first (requests are held until ready), then the source. */
export class ControlPlane implements OpsParts {
  readonly #config: ServeConfig;
  readonly source: ModelSource;
  readonly cache = new SnapshotCache();
  readonly ads: AdsServer;
  readonly pipeline: SnapshotPipeline;
  readonly metrics: Metrics;
  readonly activity = new RecentActivity();
  readonly #admin: AdminServer;
  #tls?: TlsCredentials;
  #stopping = false;

  /** `source` is for tests; by default the one the configuration names. */
  constructor(config: ServeConfig, source?: ModelSource) {
    this.#config = config;
    this.metrics = new Metrics(this);
    this.source = source ?? createSource(config, this.metrics);
    this.ads = new AdsServer(this.cache, classifyNode, { ...defaultAdsServerOptions, ...config.ads }, fanOut(this.metrics, this.activity));
    const csds = csdsService(() => this.ads.clients());
    this.ads.addService(csds.definition, csds.implementation);
    this.pipeline = new SnapshotPipeline(this.source, this.cache, config, undefined, this.metrics);
    this.#admin = new AdminServer(this);
  }

  /**
   * Resolves once the servers listen; `synced` resolves when the first snapshots are published.
   * A server that cannot listen fails the start, and leaves nothing listening or watching.
   */
  async start(): Promise<{ ports: RunningPorts; synced: Promise<void> }> {
    const { xds, xdsTls } = await this.#listenForXds();
    let admin: number;
    let probe: number;
    try {
      admin = await listenOn('admin-address', this.#config.admin, ({ host, port }) => this.#admin.listen('admin', host, port));
      probe = await listenOn('probe-address', this.#config.probe, ({ host, port }) => this.#admin.listen('probe', host, port));
    } catch (error) {
      await this.#admin.stop();
      await this.ads.stop();
      this.#tls?.files.close();
      throw error;
    }
    const address = (config: Address | undefined, port: number | undefined) => (config && port !== undefined ? joinHostPort(config.host, port) : undefined);
    const listening = { xds: address(this.#config.xds, xds), xdsTls: address(this.#config.xdsTls, xdsTls), admin: address(this.#config.admin, admin), probe: address(this.#config.probe, probe) };
    log.info(listening, 'listening');
    const synced = this.source.start().then(() => {
      if (this.#stopping) return;
      this.pipeline.start();
      log.info({ services: this.source.services().size, ready: this.ready() }, 'initial sync done; serving');
    });
    return { ports: { xds, xdsTls, admin, probe }, synced };
  }

  /** Binds the plaintext and TLS xDS listeners that are configured; an error names the flag. */
  async #listenForXds(): Promise<{ xds?: number; xdsTls?: number }> {
    const { xds, xdsTls } = this.#config;
    const listeners: { flag: string; address: Address; credentials?: grpc.ServerCredentials }[] = [];
    if (xds) listeners.push({ flag: 'xds-address', address: xds });
    if (xdsTls) {
      try {
        this.#tls = tlsServerCredentials(xdsTls.security);
      } catch (error) {
        throw listenError('xds-tls-address', xdsTls, error);
      }
      const { certificate } = this.#tls.files.current();
      const mutual = xdsTls.security.clientCaFile !== undefined;
      log.info({ ...describeCertificate(certificate), mutualTls: mutual, allowedSans: xdsTls.security.allowedSans ?? [] }, 'TLS xDS listener: certificate loaded');
      listeners.push({ flag: 'xds-tls-address', address: xdsTls, credentials: this.#tls.credentials });
    }
    let ports: number[];
    try {
      ports = await this.ads.start(listeners.map(({ address, credentials }) => ({ address: joinHostPort(address.host, address.port), ...(credentials && { credentials }) })));
    } catch (error) {
      this.#tls?.files.close();
      const failed = (error as { address?: string }).address;
      const listener = listeners.find(({ address }) => joinHostPort(address.host, address.port) === failed) ?? listeners[0]!;
      throw listenError(listener.flag, listener.address, error);
    }
    const port = (flag: string) => {
      const index = listeners.findIndex((listener) => listener.flag === flag);
      return index < 0 ? undefined : ports[index];
    };
    return { xds: port('xds-address'), xdsTls: port('xds-tls-address') };
  }

  /** Every client class has its first snapshot. */
  ready(): boolean {
    return clientClasses.every((clientClass) => this.cache.get(clientClass) !== undefined);
  }

  status() {
    return { ready: this.ready(), source: this.source.status(), pipeline: this.pipeline.stats(), streams: this.ads.streams() };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.pipeline.stop();
    await this.source.stop();
    await this.ads.stop();
    this.#tls?.files.close();
    await this.#admin.stop();
  }
}

type Address = ServeConfig['admin'];

/** Names the flag, e.g. "--admin-address 127.0.0.1:18080: address already in use". */
async function listenOn(flag: string, address: Address, listen: (address: Address) => Promise<number>): Promise<number> {
  try {
    return await listen(address);
  } catch (error) {
    throw listenError(flag, address, error);
  }
}

function listenError(flag: string, address: Address, error: unknown): Error {
  return new Error(`--${flag} ${joinHostPort(address.host, address.port)}: ${systemErrorText(error) ?? describeError(error)}`, { cause: error });
}

/** `kube-xds serve`: runs until SIGTERM or SIGINT (0), or until the source gives up (1). */
export async function runServe(config: ServeConfig): Promise<number> {
  await configureLog(config.logLevel, config.logFormat);
  // grpc-js prints its own "E ..." lines beside the JSON log. At debug level, because its one
  // server-side error, a failed bind, also fails ControlPlane.start, which names the flag.
  grpc.setLogger({ error: grpcLog, info: grpcLog, debug: grpcLog });
  const controlPlane = new ControlPlane(config);
  const { synced } = await controlPlane.start();
  // Every module is loaded by now: keep the compiled code for the next start even if this
  // process is killed rather than stopped (it is written at exit otherwise). After the
  // probes waiting for readiness: writing a cold cache takes about 60 ms.
  synced.then(() => setImmediate(flushCompileCache), () => {});
  // The Kubernetes source retries until it has synced; a source that gives up (a folder
  // that does not exist) is fatal rather than a control plane that is never ready.
  const exitCode = await new Promise<number>((resolve) => {
    synced.catch((error) => {
      log.error({ error: describeError(error) }, 'initial sync failed; stopping');
      resolve(1);
    });
    const stop = (signal: string) => {
      log.info({ signal }, 'stopping');
      resolve(0);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await controlPlane.stop();
  return exitCode;
}

function grpcLog(...parts: unknown[]): void {
  log.debug({ message: parts.map(String).join(' ') }, 'grpc-js');
}
