// A large model through the real pipeline: 10,000 Services x 1 port x 3 endpoints from an
// in-memory source (no Kubernetes), every client class built. Measures the initial full
// build, memory, an endpoints-only change (the fast path) against a shape change (a new
// Service: full rebuild and publish), the size of every full-state response, and then one
// Envoy gateway over a real ADS stream: its initial sync and how changes reach it, then the
// same on an incremental (delta) stream, and the bytes each receives side by side.
import { classifyNode } from '../../envoy-config/client-class.ts';
import { AdsServer } from '../../control-plane/ads-server.ts';
import type { Resource } from '../../control-plane/resource.ts';
import { encodeDiscoveryResponse } from '../../control-plane/response.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { pushOrder, TypeUrl, typeShortName } from '../../control-plane/types.ts';
import { gatewayRouteConfigName } from '../../envoy-config/names.ts';
import { envoyConfigOptions } from '../../envoy-config/options.ts';
import { clientClasses } from '../../envoy-config/resource-set.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { envoy } from '../../generated/envoy.js';
import { envoyNode } from '../support/raw-ads-client.ts';
import { RawDeltaClient, type DeltaResponse } from '../support/raw-delta-client.ts';
import { LoadClients } from './load-clients.ts';
import { MemorySource } from '../support/memory-source.ts';
import { generatedService } from './model-source.ts';
import { bytes, collectGarbage, heading, ms, note, now, percentileCells, percentileHeader, percentiles, sleep, table, until, wallNow } from './stats.ts';

const large = 10_000;
const small = 1_000;
const endpointChanges = 30;
const shapeChanges = 5;
const envoyOptions = envoyConfigOptions({});

export async function run(): Promise<void> {
  heading(`large model: ${large.toLocaleString('en')} Services x 1 port x 3 endpoints, every client class`);
  note('in-memory ModelSource -> SnapshotPipeline (coalescing 0 ms) -> SnapshotCache, one thread, no clients');
  note('unless said. A change is timed from the source announcing it until all three classes are published');
  note('(includes one 0 ms timer, about 1 ms).');

  collectGarbage();
  const base = process.memoryUsage();
  const source = new MemorySource(Array.from({ length: large }, (_, i) => generatedService(i, 3)));
  collectGarbage();
  const withModel = process.memoryUsage();
  const cache = new SnapshotCache();
  const pipeline = new SnapshotPipeline(source, cache, { envoy: envoyOptions, coalesceWindowMs: 0, coalesceMaxDelayMs: 0 });
  const buildStart = now();
  pipeline.start();
  const buildMs = now() - buildStart;
  const peak = process.memoryUsage();
  collectGarbage();
  const built = process.memoryUsage();
  const retained = backingStores(cache);

  console.log(`\n  initial full build (pipeline.start(), 3 classes): ${ms(buildMs)}`);
  const memoryRow = (label: string, m: NodeJS.MemoryUsage) => [label, bytes(m.heapUsed), bytes(m.arrayBuffers), bytes(m.rss)];
  console.log(table(['memory (after GC)', 'heapUsed', 'arrayBuffers', 'rss'], [
    memoryRow('before', base),
    memoryRow(`+ ${large} Service models`, withModel),
    memoryRow('+ built snapshots', built),
    ['built snapshots alone', bytes(built.heapUsed - withModel.heapUsed), bytes(built.arrayBuffers - withModel.arrayBuffers), bytes(built.rss - withModel.rss)],
    memoryRow('right after the build (no GC)', peak),
  ]));
  note(`${retained.resources.toLocaleString('en')} distinct encoded resources hold ${bytes(retained.viewBytes)} of protobuf; their Uint8Arrays keep`);
  note(`${retained.buffers.toLocaleString('en')} backing ArrayBuffers of ${bytes(retained.backingBytes)} alive (${(retained.backingBytes / retained.viewBytes).toFixed(1)}x the bytes; most common backing size ${bytes(retained.typicalBacking)}).`);

  console.log('\n  full state of each class (what a wildcard subscriber gets; sizes of one DiscoveryResponse):');
  const sizeRows: string[][] = [];
  for (const nodeClass of clientClasses) {
    const snapshot = cache.get(nodeClass)!;
    sizeRows.push([nodeClass, ...pushOrder.map((type) => {
      const resources = [...snapshot.resources(type).values()];
      const size = encodeDiscoveryResponse({ version: 'v', type, nonce: '1', resources }).length;
      return `${resources.length} = ${bytes(size)}`;
    })]);
  }
  console.log(table(['class', ...pushOrder.map((type) => typeShortName[type])], sizeRows));
  note('proxyless clients name their resources, so none gets these full sets (grpc-js and C-core refuse');
  note('messages over 4 MiB by default); an Envoy gateway or sidecar gets the full CDS and EDS, and RDS.');

  const changes = await timeChanges(source, cache, large);
  const gateway = await gatewayOverAds(source, cache);
  const delta = await deltaGatewayOverAds(source, cache);
  pipeline.stop();

  // The fast path at a tenth of the size, to show how it scales with the model.
  const smallSource = new MemorySource(Array.from({ length: small }, (_, i) => generatedService(i, 3)));
  const smallCache = new SnapshotCache();
  const smallPipeline = new SnapshotPipeline(smallSource, smallCache, { envoy: envoyOptions, coalesceWindowMs: 0, coalesceMaxDelayMs: 0 });
  const smallBuildStart = now();
  smallPipeline.start();
  const smallBuildMs = now() - smallBuildStart;
  const smallChanges = await timeChanges(smallSource, smallCache, small);
  smallPipeline.stop();

  console.log('\n  changes after the initial build (pipeline only, no clients):');
  console.log(table(['change', ...percentileHeader], [
    [`endpoints only, ${large} Services`, ...percentileCells(changes.endpoints)],
    [`shape (new Service), ${large}`, ...percentileCells(changes.shape)],
    [`endpoints only, ${small} Services`, ...percentileCells(smallChanges.endpoints)],
    [`shape (new Service), ${small}`, ...percentileCells(smallChanges.shape)],
    [`initial build, ${small}`, ...percentileCells([smallBuildMs])],
  ]));
  const growth = (a: number[], b: number[]) => (percentiles(a).p50 / percentiles(b).p50).toFixed(1);
  note(`one Service changes each time. ${large / small}x the Services: endpoints-only p50 ${growth(changes.endpoints, smallChanges.endpoints)}x slower, shape change ${growth(changes.shape, smallChanges.shape)}x.`);

  console.log('\n  one Envoy gateway (wildcard CDS/LDS, RDS "gateway", EDS for every cluster) over a real ADS stream:');
  console.log(table(['response', 'resources', 'size', 'after stream open'], gateway.initial));
  console.log(table(['change reaching the gateway', ...percentileHeader], [
    ['endpoints only: EDS', ...percentileCells(gateway.endpoints)],
    ['new Service: CDS', ...percentileCells(gateway.shapeCds)],
    ['new Service: all pushes done', ...percentileCells(gateway.shapeAll)],
  ]));
  note(`the gateway got ${bytes(median(gateway.bytes.shape))} per new Service (full CDS + RDS resend, as state of the world requires).`);

  console.log('\n  the same gateway on an incremental (delta) stream: wildcard CDS and LDS, then EDS and RDS by the');
  console.log('  names it learns from them (and from every later CDS/LDS response), ACKing every response:');
  console.log(table(['stream', 'initial sync', 'synced after', 'per new Service', 'all done p50', 'per endpoints change', 'EDS p50'], [
    ['sotw', ...summaryCells(gateway)],
    ['delta', ...summaryCells(delta)],
  ]));
  note(`bytes are whole responses as received, summed from a change until the next one (median of ${delta.bytes.shape.length} new`);
  note(`Services, ${delta.bytes.endpoints.length} endpoints-only changes each); times from the stream opening or the change. The sotw`);
  note('gateway asks for every EDS name up front and never adds the new cluster\'s (one small EDS response');
  note('left out); delta times are taken after the raw client decoded the response, sotw times before.');
  if (delta.failures.length > 0) note(`delta stream failures: ${delta.failures.join('; ')}`);
}

function summaryCells(g: GatewayRun): string[] {
  return [
    bytes(g.bytes.initial), ms(g.syncedMs),
    bytes(median(g.bytes.shape)), ms(percentiles(g.shapeAll).p50),
    bytes(median(g.bytes.endpoints)), ms(percentiles(g.endpoints).p50),
  ];
}

function median(samples: readonly number[]): number {
  return percentiles(samples).p50;
}

/** Sums of response sizes per change: each change's window runs until the next change starts. */
function windowBytes(sizes: readonly { size: number }[], starts: readonly number[], end: number): number[] {
  return starts.map((from, i) => sizes.slice(from, starts[i + 1] ?? end).reduce((sum, r) => sum + r.size, 0));
}

interface ChangeTimes {
  readonly endpoints: number[];
  readonly shape: number[];
}

/** Times endpoints-only changes of different Services, then new Services. */
async function timeChanges(source: MemorySource, cache: SnapshotCache, count: number): Promise<ChangeTimes> {
  let published = 0;
  const unsubscribe = cache.subscribe(() => {
    published++;
  });
  const times: ChangeTimes = { endpoints: [], shape: [] };
  const timeOne = async (change: () => void, into: number[]) => {
    published = 0;
    const start = now();
    change();
    await until('the change to be published for every class', () => published >= clientClasses.length, 30_000, 0);
    into.push(now() - start);
  };
  for (let i = 0; i < endpointChanges; i++) {
    const index = Math.floor((i * count) / endpointChanges);
    await timeOne(() => source.put(generatedService(index, 3, i + 1)), times.endpoints);
  }
  for (let i = 0; i < shapeChanges; i++) {
    await timeOne(() => source.put(generatedService(count + 100 + i, 3)), times.shape);
  }
  unsubscribe();
  return times;
}

interface GatewayRun {
  readonly endpoints: number[];
  readonly shapeCds: number[];
  readonly shapeAll: number[];
  /** From opening the stream to the last response of the initial sync. */
  readonly syncedMs: number;
  readonly bytes: { readonly initial: number; readonly endpoints: number[]; readonly shape: number[] };
}

interface GatewayTimes extends GatewayRun {
  readonly initial: string[][];
}

/** Quiet time after the last change, so its late responses still count. */
const settleMs = 100;

async function gatewayOverAds(source: MemorySource, cache: SnapshotCache): Promise<GatewayTimes> {
  const ads = new AdsServer(cache, classifyNode);
  const port = await ads.start('127.0.0.1:0');
  const edsNames = [...cache.get('gateway')!.resources(TypeUrl.Endpoint).keys()];
  const responses: { type: string; count: number; size: number; at: number }[] = [];
  const opened = wallNow();
  const clients = new LoadClients({
    address: `127.0.0.1:${port}`,
    streams: 1,
    connections: 1,
    node: () => envoyNode('gateway-0', 'gateway'),
    subscriptions: () => [
      { type: TypeUrl.Cluster, names: [] },
      { type: TypeUrl.Endpoint, names: edsNames },
      { type: TypeUrl.Listener, names: [] },
      { type: TypeUrl.Route, names: [gatewayRouteConfigName] },
    ],
    onResponse: (_stream, response, at, size) => responses.push({ type: response.type_url, count: response.resources.length, size, at }),
  });
  const result = {
    initial: [] as string[][], endpoints: [] as number[], shapeCds: [] as number[], shapeAll: [] as number[], syncedMs: NaN,
    bytes: { initial: 0, endpoints: [] as number[], shape: [] as number[] },
  };
  const endpointStarts: number[] = [];
  const shapeStarts: number[] = [];
  try {
    await until('the gateway\'s initial sync', () => new Set(responses.map((r) => r.type)).size === 4, 60_000);
    for (const r of responses) result.initial.push([typeShortName[r.type as TypeUrl], String(r.count), bytes(r.size), ms(r.at - opened)]);
    result.syncedMs = Math.max(...responses.map((r) => r.at)) - opened;
    result.bytes.initial = responses.reduce((sum, r) => sum + r.size, 0);
    for (let i = 0; i < 10; i++) {
      const seen = responses.length;
      endpointStarts.push(seen);
      const start = wallNow();
      source.put(generatedService(i * 997, 3, 100 + i));
      await until('the EDS push to the gateway', () => responses.slice(seen).some((r) => r.type === TypeUrl.Endpoint), 30_000, 0);
      result.endpoints.push(responses.slice(seen).find((r) => r.type === TypeUrl.Endpoint)!.at - start);
    }
    for (let i = 0; i < 3; i++) {
      const seen = responses.length;
      shapeStarts.push(seen);
      const start = wallNow();
      source.put(generatedService(large + 200 + i, 3));
      await until('the CDS and RDS pushes to the gateway', () => responses.slice(seen).filter((r) => r.type !== TypeUrl.Endpoint).length >= 2, 30_000, 0);
      const pushed = responses.slice(seen);
      result.shapeCds.push(pushed.find((r) => r.type === TypeUrl.Cluster)!.at - start);
      result.shapeAll.push(Math.max(...pushed.map((r) => r.at)) - start);
    }
    await sleep(settleMs);
    result.bytes.endpoints = windowBytes(responses, endpointStarts, shapeStarts[0]!);
    result.bytes.shape = windowBytes(responses, shapeStarts, responses.length);
    if (clients.failures.length > 0) note(`stream failures: ${clients.failures.join('; ')}`);
  } finally {
    clients.close();
    await ads.stop();
  }
  return result;
}

interface DeltaGatewayRun extends GatewayRun {
  readonly failures: string[];
}

/**
 * An Envoy gateway on DeltaAggregatedResources, subscribing as Envoy does: wildcard CDS and LDS
 * (an empty first request), then EDS for every cluster's service_name and RDS for every
 * HttpConnectionManager's route_config_name it learns, ACKing each response before asking more.
 * The same changes as gatewayOverAds, to other Services.
 */
async function deltaGatewayOverAds(source: MemorySource, cache: SnapshotCache): Promise<DeltaGatewayRun> {
  const ads = new AdsServer(cache, classifyNode);
  const port = await ads.start('127.0.0.1:0');
  const opened = wallNow();
  const client = new RawDeltaClient(`127.0.0.1:${port}`, envoyNode('gateway-delta', 'gateway'));
  const responses: { type: string; count: number; size: number; at: number }[] = [];
  const failures: string[] = [];
  // Names subscribed by the cluster or listener that led to them, and those still unanswered.
  const wanted = { [TypeUrl.Endpoint]: new Map<string, string>(), [TypeUrl.Route]: new Map<string, string>() } as Record<string, Map<string, string>>;
  const unanswered = new Set<string>();
  let closing = false;

  const follow = (type: TypeUrl, learned: Map<string, string>, removedParents: readonly string[]) => {
    const names = wanted[type]!;
    const subscribe = [...learned].filter(([parent, name]) => names.get(parent) !== name);
    const unsubscribe = removedParents.filter((parent) => names.has(parent));
    const before = new Set(names.values());
    for (const [parent, name] of subscribe) names.set(parent, name);
    for (const parent of unsubscribe) names.delete(parent);
    const after = new Set(names.values());
    const added = [...after].filter((name) => !before.has(name));
    const dropped = [...before].filter((name) => !after.has(name));
    for (const name of added) unanswered.add(`${type} ${name}`);
    if (added.length > 0 || dropped.length > 0) client.request(type, { subscribe: added, unsubscribe: dropped });
  };
  const pump = (async () => {
    for (;;) {
      let response: DeltaResponse;
      try {
        response = await client.next(600_000);
      } catch (error) {
        if (!closing) failures.push(String(error));
        return;
      }
      responses.push({ type: response.type, count: response.resources.length, size: response.size, at: wallNow() });
      for (const r of response.resources) unanswered.delete(`${response.type} ${r.name}`);
      for (const name of response.removed) unanswered.delete(`${response.type} ${name}`);
      client.ack(response);
      if (response.type === TypeUrl.Cluster) follow(TypeUrl.Endpoint, edsNamesOf(response), response.removed);
      if (response.type === TypeUrl.Listener) follow(TypeUrl.Route, routeNamesOf(response), response.removed);
    }
  })();

  const result = { endpoints: [] as number[], shapeCds: [] as number[], shapeAll: [] as number[], syncedMs: NaN, bytes: { initial: 0, endpoints: [] as number[], shape: [] as number[] }, failures };
  const endpointStarts: number[] = [];
  const shapeStarts: number[] = [];
  const live = () => {
    if (failures.length > 0) throw new Error(`bench: the delta stream failed: ${failures.join('; ')}`);
  };
  try {
    client.request(TypeUrl.Cluster);
    client.request(TypeUrl.Listener);
    const synced = () => {
      live();
      const types = new Set(responses.map((r) => r.type));
      return types.has(TypeUrl.Cluster) && types.has(TypeUrl.Listener) && wanted[TypeUrl.Endpoint]!.size > 0 && wanted[TypeUrl.Route]!.size > 0 && unanswered.size === 0;
    };
    await until('the delta gateway\'s initial sync', synced, 60_000);
    result.syncedMs = Math.max(...responses.map((r) => r.at)) - opened;
    result.bytes.initial = responses.reduce((sum, r) => sum + r.size, 0);
    for (let i = 0; i < 10; i++) {
      const seen = responses.length;
      endpointStarts.push(seen);
      const start = wallNow();
      source.put(generatedService(i * 997 + 1, 3, 200 + i));
      await until('the EDS push to the delta gateway', () => (live(), responses.slice(seen).some((r) => r.type === TypeUrl.Endpoint)), 30_000, 0);
      result.endpoints.push(responses.slice(seen).find((r) => r.type === TypeUrl.Endpoint)!.at - start);
    }
    for (let i = 0; i < 3; i++) {
      const seen = responses.length;
      shapeStarts.push(seen);
      const start = wallNow();
      source.put(generatedService(large + 300 + i, 3));
      // The new cluster, then its endpoints (asked for by name once the cluster is known), and the routes.
      const done = () => {
        live();
        const types = new Set(responses.slice(seen).map((r) => r.type));
        return types.has(TypeUrl.Cluster) && types.has(TypeUrl.Endpoint) && types.has(TypeUrl.Route) && unanswered.size === 0;
      };
      await until('the CDS, EDS and RDS responses to the delta gateway', done, 30_000, 0);
      const pushed = responses.slice(seen);
      result.shapeCds.push(pushed.find((r) => r.type === TypeUrl.Cluster)!.at - start);
      result.shapeAll.push(Math.max(...pushed.map((r) => r.at)) - start);
    }
    await sleep(settleMs);
    result.bytes.endpoints = windowBytes(responses, endpointStarts, shapeStarts[0]!);
    result.bytes.shape = windowBytes(responses, shapeStarts, responses.length);
  } finally {
    closing = true;
    client.close();
    await pump;
    await ads.stop();
  }
  return result;
}

/** cluster name -> its EDS service_name, for the clusters of a delta CDS response. */
function edsNamesOf(response: DeltaResponse): Map<string, string> {
  const names = new Map<string, string>();
  for (const r of response.resources) {
    if (!r.any?.value) continue;
    const cluster = envoy.config.cluster.v3.Cluster.decode(r.any.value);
    if (cluster.type === envoy.config.cluster.v3.Cluster.DiscoveryType.EDS || cluster.eds_cluster_config) {
      names.set(r.name, cluster.eds_cluster_config?.service_name || cluster.name);
    }
  }
  return names;
}

/** listener name -> the route_config_name of its HttpConnectionManager, for a delta LDS response. */
function routeNamesOf(response: DeltaResponse): Map<string, string> {
  const names = new Map<string, string>();
  const manager = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
  for (const r of response.resources) {
    if (!r.any?.value) continue;
    const listener = envoy.config.listener.v3.Listener.decode(r.any.value);
    for (const chain of listener.filter_chains ?? []) {
      for (const filter of chain.filters ?? []) {
        if (!filter.typed_config?.type_url?.endsWith('.HttpConnectionManager') || !filter.typed_config.value) continue;
        const routeConfigName = manager.decode(filter.typed_config.value).rds?.route_config_name;
        if (routeConfigName) names.set(r.name, routeConfigName);
      }
    }
  }
  return names;
}

/** Distinct resources in the cache, their encoded bytes, and the ArrayBuffers those views keep alive. */
function backingStores(cache: SnapshotCache) {
  const seen = new Set<Resource>();
  const buffers = new Set<ArrayBufferLike>();
  let viewBytes = 0;
  for (const nodeClass of clientClasses) {
    for (const type of pushOrder) {
      for (const resource of cache.get(nodeClass)!.resources(type).values()) {
        if (seen.has(resource)) continue;
        seen.add(resource);
        viewBytes += resource.any.byteLength;
        buffers.add(resource.any.buffer);
      }
    }
  }
  let backingBytes = 0;
  const sizes = new Map<number, number>();
  for (const buffer of buffers) {
    backingBytes += buffer.byteLength;
    sizes.set(buffer.byteLength, (sizes.get(buffer.byteLength) ?? 0) + 1);
  }
  const typicalBacking = [...sizes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 0;
  return { resources: seen.size, viewBytes, buffers: buffers.size, backingBytes, typicalBacking };
}
