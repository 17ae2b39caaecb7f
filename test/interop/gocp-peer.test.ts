// The benchmarks' go-control-plane reference (test/peers/go/gocp, driven by
// test/bench/gocp-peer.ts): kube-xds's own proxyless resources go in, and raw ADS clients get
// them back from go-control-plane v0.14.0's snapshot cache and SotW server, following the
// references listener → route → cluster → endpoints as a gRPC client does.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Resource } from '../../control-plane/resource.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { pushOrder, TypeUrl } from '../../control-plane/types.ts';
import { envoyConfigOptions } from '../../envoy-config/options.ts';
import { envoy, google } from '../../generated/envoy.js';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { GocpPeer } from '../bench/gocp-peer.ts';
import { generatedEndpoints, generatedService } from '../bench/model-source.ts';
import { MemorySource } from '../support/memory-source.ts';
import { grpcNode, RawAdsClient, type Response } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';

const { Listener } = envoy.config.listener.v3;
const { RouteConfiguration } = envoy.config.route.v3;
const { Cluster } = envoy.config.cluster.v3;
const { ClusterLoadAssignment } = envoy.config.endpoint.v3;
const { HttpConnectionManager } = envoy.extensions.filters.network.http_connection_manager.v3;

const services = 5;
const clientCount = 3;
const target = (index: number) => {
  const service = generatedService(index, 3);
  return `${service.name}.${service.namespace}.svc.cluster.local:50051`;
};

/** What one client learned by following the references of its target. */
interface Chain {
  readonly responses: Record<TypeUrl, Response>;
  readonly edsName: string;
}

interface World {
  source: MemorySource;
  cache: SnapshotCache;
  pipeline: SnapshotPipeline;
  peer: GocpPeer;
  clients: RawAdsClient[];
  chains: Chain[];
}
const test = suite<World>('go-control-plane v0.14.0 serving kube-xds resources', {} as World);

const proxyless = (cache: SnapshotCache) => cache.get('proxyless')!;
const allResources = (cache: SnapshotCache) => new Map(pushOrder.map((type) => [type, [...proxyless(cache).resources(type).values()]] as [TypeUrl, Resource[]]));

test.before(async (world) => {
  world.source = new MemorySource(Array.from({ length: services }, (_, i) => generatedService(i, 3)));
  world.cache = new SnapshotCache();
  world.pipeline = new SnapshotPipeline(world.source, world.cache, { envoy: envoyConfigOptions({}), coalesceWindowMs: 0, coalesceMaxDelayMs: 0 });
  world.pipeline.start();
  world.peer = await GocpPeer.start();
  await world.peer.set(allResources(world.cache));
  world.clients = Array.from({ length: clientCount }, (_, i) => new RawAdsClient(world.peer.address, grpcNode(`gocp-${i}`)));
  world.chains = [];
});

test.after(async ({ clients, pipeline, peer }) => {
  for (const client of clients ?? []) client.close();
  pipeline?.stop();
  await peer?.stop();
});

/** Subscribes to the target's listener, then to what each response names, ACKing each. */
async function follow(client: RawAdsClient, name: string): Promise<Chain> {
  client.request(TypeUrl.Listener, [name]);
  const listener = await client.nextOf(TypeUrl.Listener);
  const manager = HttpConnectionManager.decode(Listener.decode(only(listener).value!).api_listener!.api_listener!.value!);
  const routeName = manager.rds!.route_config_name!;
  client.request(TypeUrl.Listener, [name]);
  client.request(TypeUrl.Route, [routeName]);
  const route = await client.nextOf(TypeUrl.Route);
  const clusterName = RouteConfiguration.decode(only(route).value!).virtual_hosts[0]!.routes![0]!.route!.cluster!;
  client.request(TypeUrl.Route, [routeName]);
  client.request(TypeUrl.Cluster, [clusterName]);
  const cluster = await client.nextOf(TypeUrl.Cluster);
  const decoded = Cluster.decode(only(cluster).value!);
  const edsName = decoded.eds_cluster_config?.service_name || decoded.name;
  client.request(TypeUrl.Cluster, [clusterName]);
  client.request(TypeUrl.Endpoint, [edsName]);
  const endpoints = await client.nextOf(TypeUrl.Endpoint);
  client.request(TypeUrl.Endpoint, [edsName]);
  return { responses: { [TypeUrl.Listener]: listener, [TypeUrl.Route]: route, [TypeUrl.Cluster]: cluster, [TypeUrl.Endpoint]: endpoints }, edsName };
}

function only(response: Response): google.protobuf.IAny {
  assert.is(response.resources.length, 1, `one ${response.type} in [${response.names.join(', ')}]`);
  return response.resources[0]!;
}

/** A resource as plain JSON: go-control-plane re-encodes, so bytes may legitimately differ. */
function json(type: string, value: Uint8Array): unknown {
  switch (type) {
    case TypeUrl.Listener: return Listener.toObject(Listener.decode(value), { bytes: String });
    case TypeUrl.Route: return RouteConfiguration.toObject(RouteConfiguration.decode(value), { bytes: String });
    case TypeUrl.Cluster: return Cluster.toObject(Cluster.decode(value), { bytes: String });
    case TypeUrl.Endpoint: return ClusterLoadAssignment.toObject(ClusterLoadAssignment.decode(value), { bytes: String });
    default: throw new Error(`unexpected type ${type}`);
  }
}

function addresses(response: Response): string[] {
  const assignment = ClusterLoadAssignment.decode(only(response).value!);
  return assignment.endpoints.flatMap((locality) => (locality.lb_endpoints ?? []).map((lb) => lb.endpoint!.address!.socket_address!.address!)).sort();
}

test('each client follows listener, route, cluster and endpoints of its Service and gets exactly kube-xds\'s resources', async (world) => {
  world.chains = await Promise.all(world.clients.map((client, i) => follow(client, target(i))));
  const snapshot = proxyless(world.cache);
  for (const [i, chain] of world.chains.entries()) {
    assert.is(chain.responses[TypeUrl.Listener].names[0], target(i));
    for (const type of pushOrder) {
      const received = only(chain.responses[type]);
      assert.is(received.type_url, type);
      const ours = snapshot.resources(type).get(chain.responses[type].names[0]!);
      assert.ok(ours, `kube-xds has the ${type} ${chain.responses[type].names[0]}`);
      const wrapped = google.protobuf.Any.decode(ours.any);
      assert.equal(json(type, received.value!), json(type, wrapped.value), `client ${i}: ${type}`);
    }
    assert.equal(addresses(chain.responses[TypeUrl.Endpoint]), generatedEndpoints(i, 3).map((endpoint) => endpoint.address).sort());
  }
});

test('an update of one ClusterLoadAssignment reaches its client; only the EDS version moves', async ({ source, cache, peer, clients, chains }) => {
  assert.is(chains.length, clientCount, 'the clients followed their chains');
  const eds = chains[0]!.edsName;
  const before = proxyless(cache).resources(TypeUrl.Endpoint).get(eds)!;
  source.put(generatedService(0, 3, 1));
  const changed = await waitFor('kube-xds to rebuild the endpoints', () => {
    const current = proxyless(cache).resources(TypeUrl.Endpoint).get(eds);
    return current && current.version !== before.version && current;
  });
  const versionsBefore = chains[0]!.responses;
  const result = await peer.update(new Map([[TypeUrl.Endpoint, [changed]]]));
  for (const type of [TypeUrl.Listener, TypeUrl.Route, TypeUrl.Cluster]) {
    assert.is(result.versions[type], versionsBefore[type].version, `${type} keeps its version`);
  }
  assert.is.not(result.versions[TypeUrl.Endpoint], versionsBefore[TypeUrl.Endpoint].version);

  const update = await clients[0]!.nextOf(TypeUrl.Endpoint);
  assert.is(update.version, result.versions[TypeUrl.Endpoint]);
  assert.equal(addresses(update), generatedEndpoints(0, 3, 1).map((endpoint) => endpoint.address).sort());
  assert.is.not(addresses(update).join(), addresses(chains[0]!.responses[TypeUrl.Endpoint]).join(), 'the addresses moved');
  // go-control-plane's SotW cache answers every EDS watch when the EDS version moves: the
  // other clients get their own, unchanged, assignment again.
  for (const [i, client] of clients.entries()) {
    if (i === 0) continue;
    const again = await client.nextOf(TypeUrl.Endpoint);
    assert.equal(addresses(again), addresses(chains[i]!.responses[TypeUrl.Endpoint]));
  }
});

test('a bad command gets a clear error and the peer keeps serving', async ({ cache, peer, clients }) => {
  const cluster = [...proxyless(cache).resources(TypeUrl.Cluster).values()][0]!;
  const refused = await peer.update(new Map([[TypeUrl.Listener, [cluster]]])).catch((error: Error) => error);
  assert.instance(refused, Error);
  assert.match((refused as Error).message, /refused the command: .*Listener #0 is a "type\.googleapis\.com\/envoy\.config\.cluster\.v3\.Cluster"/);
  // Still serving: a new stream gets its listener.
  const late = new RawAdsClient(peer.address, grpcNode('gocp-late'));
  clients.push(late);
  const chain = await follow(late, target(4));
  assert.is(chain.responses[TypeUrl.Listener].names[0], target(4));
});

test('closing its standard input ends it with exit code 0', async ({ peer }) => {
  assert.is(await peer.stop(), 0);
});

test.run();
