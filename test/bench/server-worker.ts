// The control plane under test, alone on its own thread (the machine has two cores: the
// server gets one, the simulated clients and the fake API server the other). Started by
// server-thread.ts; answers its requests and reports every proxyless snapshot it publishes.
import { parentPort, workerData } from 'node:worker_threads';
import { setLogLevel } from '../../common/log.ts';
import { parseFlags } from '../../bin/flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../../bin/serve.ts';
import { classifyNode } from '../../envoy-config/client-class.ts';
import { AdsServer } from '../../control-plane/ads-server.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoyConfigOptions } from '../../envoy-config/options.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { MemorySource } from '../support/memory-source.ts';
import { generatedService } from './model-source.ts';
import type { Reply, Request, ServerSetup } from './server-thread.ts';
import { wallNow } from './stats.ts';

setLogLevel('warn');
const port = parentPort!;
const setup = workerData as ServerSetup;

interface Server {
  readonly xdsPort: number;
  stats(): Record<string, unknown>;
  push?(generation: number): void;
  stop(): Promise<void>;
}

async function start(): Promise<Server> {
  if (setup.kind === 'control-plane') {
    const flags = ['--kubeconfig', setup.kubeconfig, '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0', '--log-level', 'warn'];
    const controlPlane = new ControlPlane(serveConfig(parseFlags(serveFlags, flags, {})));
    const afterAds = watchPublishes(controlPlane.cache);
    const { ports, synced } = await controlPlane.start();
    afterAds();
    await synced;
    return {
      xdsPort: ports.xds!,
      stats: () => ({ pipeline: controlPlane.pipeline.stats(), streams: controlPlane.ads.streams().length }),
      stop: () => controlPlane.stop(),
    };
  }
  // A bare ADS server over generated Services; `push` moves the endpoints of the first one
  // through the pipeline (its endpoints fast path), with coalescing off.
  const source = new MemorySource(Array.from({ length: setup.services }, (_, i) => generatedService(i, 3)));
  const cache = new SnapshotCache();
  const afterAds = watchPublishes(cache);
  const pipeline = new SnapshotPipeline(source, cache, { envoy: envoyConfigOptions({}), coalesceWindowMs: 0, coalesceMaxDelayMs: 0 });
  pipeline.start();
  // The fan-out bench puts up to 1,000 streams on one connection, ten times the default limit.
  const ads = new AdsServer(cache, classifyNode, { maxStreamsPerConnection: 1_000 });
  const xdsPort = await ads.start('127.0.0.1:0');
  afterAds();
  return {
    xdsPort,
    stats: () => ({ streams: ads.streams().length }),
    push: (generation) => source.put(generatedService(0, 3, generation)),
    stop: async () => {
      pipeline.stop();
      await ads.stop();
    },
  };
}

/**
 * Reports each proxyless publish: `at` when the cache is set (this listener is subscribed
 * before the ADS server's, so it runs first) and `writtenAt` when the ADS server's listener
 * has handed every stream its response (from a listener subscribed after the server's, by
 * calling the function returned here once the ADS server has started).
 */
function watchPublishes(cache: SnapshotCache): () => void {
  let at = 0;
  cache.subscribe((nodeClass) => {
    if (nodeClass === 'proxyless') at = wallNow();
  });
  return () => {
    cache.subscribe((nodeClass, _snapshot, changes) => {
      if (nodeClass !== 'proxyless') return;
      const endpoints = changes?.get(TypeUrl.Endpoint)?.changed.size ?? -1;
      port.postMessage({ type: 'published', at, writtenAt: wallNow(), endpoints });
    });
  };
}

function usage() {
  const cpu = process.threadCpuUsage();
  return { cpuMs: (cpu.user + cpu.system) / 1_000, heapUsed: process.memoryUsage().heapUsed, at: wallNow() };
}

const server = await start();
port.postMessage({ type: 'ready', xdsPort: server.xdsPort });
port.on('message', async (request: Request) => {
  const reply = (value: unknown) => port.postMessage({ type: 'reply', id: request.id, value } satisfies Reply);
  switch (request.op) {
    case 'clock':
      return reply(wallNow());
    case 'usage':
      return reply(usage());
    case 'stats':
      return reply({ ...server.stats(), ...usage() });
    case 'push': {
      const before = usage();
      server.push!(request.generation);
      return reply({ at: before.at, cpuMsBefore: before.cpuMs });
    }
    case 'gc':
      (globalThis as { gc?: () => void }).gc?.();
      return reply(usage());
    case 'stop':
      await server.stop();
      reply(null);
      port.close();
      return;
  }
});
