// A large model through the real pipeline: 10,000 Services x 1 port x 3 endpoints from an
// in-memory source (no Kubernetes), every client class built. Measures the initial full
// build, memory, an endpoints-only change (the fast path) against a shape change (a new
// Service: full rebuild and publish), the size of every full-state response, and then one
// Envoy gateway over a real ADS stream: its initial sync and how changes reach it.
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
import { envoyNode } from '../support/raw-ads-client.ts';
import { LoadClients } from './load-clients.ts';
import { MemorySource } from '../support/memory-source.ts';
import { generatedService } from './model-source.ts';
import { bytes, collectGarbage, heading, ms, note, now, percentileCells, percentileHeader, percentiles, table, until, wallNow } from './stats.ts';

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
  note(`the gateway got ${gateway.shapeBytes} per new Service (full CDS + RDS resend, as state of the world requires).`);
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

interface GatewayTimes {
  readonly initial: string[][];
  readonly endpoints: number[];
  readonly shapeCds: number[];
  readonly shapeAll: number[];
  readonly shapeBytes: string;
}

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
  const result = { initial: [] as string[][], endpoints: [] as number[], shapeCds: [] as number[], shapeAll: [] as number[], shapeBytes: '' };
  try {
    await until('the gateway\'s initial sync', () => new Set(responses.map((r) => r.type)).size === 4, 60_000);
    for (const r of responses) result.initial.push([typeShortName[r.type as TypeUrl], String(r.count), bytes(r.size), ms(r.at - opened)]);
    for (let i = 0; i < 10; i++) {
      const seen = responses.length;
      const start = wallNow();
      source.put(generatedService(i * 997, 3, 100 + i));
      await until('the EDS push to the gateway', () => responses.slice(seen).some((r) => r.type === TypeUrl.Endpoint), 30_000, 0);
      result.endpoints.push(responses.slice(seen).find((r) => r.type === TypeUrl.Endpoint)!.at - start);
    }
    let shapeBytes = 0;
    for (let i = 0; i < 3; i++) {
      const seen = responses.length;
      const start = wallNow();
      source.put(generatedService(large + 200 + i, 3));
      await until('the CDS and RDS pushes to the gateway', () => responses.slice(seen).filter((r) => r.type !== TypeUrl.Endpoint).length >= 2, 30_000, 0);
      const pushed = responses.slice(seen);
      result.shapeCds.push(pushed.find((r) => r.type === TypeUrl.Cluster)!.at - start);
      result.shapeAll.push(Math.max(...pushed.map((r) => r.at)) - start);
      shapeBytes = pushed.reduce((sum, r) => sum + r.size, 0);
    }
    result.shapeBytes = bytes(shapeBytes);
    if (clients.failures.length > 0) note(`stream failures: ${clients.failures.join('; ')}`);
  } finally {
    clients.close();
    await ads.stop();
  }
  return result;
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
