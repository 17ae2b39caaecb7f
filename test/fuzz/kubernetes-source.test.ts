// Hostile Services and EndpointSlices through the real path: the fake API server's list and
// watch, the Kubernetes source, the pipeline and the ADS server. A client of a good Service
// beside them keeps getting its correct endpoints; every bad object is skipped, logged once
// and counted (in the source's status and in kube_xds_source_bad_objects_total), also across
// a relist; the model equals what the store alone makes of the same objects.
import { isDeepStrictEqual } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { setLogLevel } from '../../common/log.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { clientClasses } from '../../envoy-config/resource-set.ts';
import { ModelStore } from '../../k8s/store.ts';
import { envoy } from '../../generated/envoy.js';
import { captureLog } from '../support/capture-log.ts';
import type { Resource } from '../support/fake-apiserver.ts';
import { grpcNode, RawAdsClient } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';
import { kubeCase } from './kube-cases.ts';
import type { Json } from './kube-objects.ts';
import { KubeStack } from './kube-stack.ts';
import { fuzzConfig, Random, rerunHint } from './random.ts';

const config = fuzzConfig();
const file = 'fuzz/kubernetes-source';
/** Each object costs an API server round trip and a pipeline flush: a tenth of the in-process sample. */
const cases = Math.max(20, Math.ceil(config.cases / 10));
const casesPerBatch = 25;
const skipped = 'skipping a malformed Kubernetes object';

const anchorNamespace = 'fuzz-anchor';
const anchorFqdn = `anchor.${anchorNamespace}.svc.cluster.local`;
const anchorCluster = `outbound|50051||${anchorFqdn}`;
const anchorService: Json = {
  metadata: { name: 'anchor', namespace: anchorNamespace },
  spec: { ports: [{ name: 'grpc', port: 50051, protocol: 'TCP', appProtocol: 'grpc' }] },
};
const anchorSlice = (address: string): Json => ({
  metadata: { name: 'anchor-1', namespace: anchorNamespace, labels: { 'kubernetes.io/service-name': 'anchor' } },
  addressType: 'IPv4',
  ports: [{ name: 'grpc', port: 50051, protocol: 'TCP' }],
  endpoints: [{ addresses: [address], conditions: { ready: true } }],
});

const resourceOf = (kind: string): Resource => (kind === 'Service' ? 'services' : 'endpointslices');

/** Whether the API server could hold it: metadata with a string name, and JSON it can write. */
function storable(object: unknown): object is Json {
  if (typeof object !== 'object' || object === null || Array.isArray(object)) return false;
  const metadata = (object as Json).metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return false;
  const { name, namespace } = metadata as Json;
  return typeof name === 'string' && name.length < 1_000 && (namespace == null || typeof namespace === 'string') && depthOf(object) < 200;
}

function depthOf(root: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[root, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    deepest = Math.max(deepest, depth);
    if (typeof value === 'object' && value !== null && depth < 1_000) for (const item of Object.values(value)) pending.push([item, depth + 1]);
  }
  return deepest;
}

/** Small enough for the pipeline to build many of them quickly: 100,000 ports are for the in-process target. */
function modest(object: Json): boolean {
  const text = JSON.stringify(object);
  return text.length < 300_000;
}

/** The endpoint addresses of the anchor's ClusterLoadAssignment in a response. */
function anchorAddresses(resources: readonly { value?: Uint8Array | null }[]): string[] {
  return resources.flatMap((any) =>
    (envoy.config.endpoint.v3.ClusterLoadAssignment.decode(any.value ?? new Uint8Array()).endpoints ?? [])
      .flatMap((locality) => locality.lb_endpoints ?? [])
      .map((lb) => lb.endpoint?.address?.socket_address?.address ?? '?'));
}

test(`${cases} hostile objects through list/watch, the source, the pipeline and ADS (seed ${config.seed})`, async () => {
  const log = captureLog();
  const stack = await KubeStack.start((api) => {
    api.apply('services', anchorService);
    api.apply('endpointslices', anchorSlice('10.255.0.0'));
  });
  /** The same objects in the same order, read by a store of its own: what the source must end up with. */
  const oracle = new ModelStore();
  oracle.applyService(anchorService);
  oracle.applySlice(anchorSlice('10.255.0.0'));
  const quietly = <T>(work: () => T): T => {
    setLogLevel('silent');
    try {
      return work();
    } finally {
      setLogLevel('debug');
    }
  };
  const applied: { kind: string; namespace: string; name: string }[] = [];
  const failures: string[] = [];
  /** Services found not served, reported once each. */
  const reportedUnserved = new Set<string>();
  let sent = 0;
  try {
    const client = new RawAdsClient(stack.address, grpcNode('anchor-client'));
    client.request(TypeUrl.Endpoint, [anchorCluster]);
    assert.equal(anchorAddresses((await client.nextOf(TypeUrl.Endpoint)).resources), ['10.255.0.0']);

    const last = config.first + cases;
    for (let batchFirst = config.first, batch = 1; batchFirst < last; batchFirst += casesPerBatch, batch++) {
      const batchEnd = Math.min(last, batchFirst + casesPerBatch);
      for (let index = batchFirst; index < batchEnd; index++) {
        const fuzzCase = kubeCase(Random.forCase(config, index));
        for (const { kind, object } of [...fuzzCase.setup, { kind: fuzzCase.kind, object: fuzzCase.object }]) {
          if (!storable(object) || !modest(object)) continue;
          const stored = stack.api.apply(resourceOf(kind), object);
          // The object as the watch delivers it: JSON.
          const wire = JSON.parse(JSON.stringify(stored)) as Json;
          quietly(() => (kind === 'Service' ? oracle.applyService(wire) : oracle.applySlice(wire)));
          const metadata = wire.metadata as { namespace: string; name: string };
          applied.push({ kind, namespace: metadata.namespace, name: metadata.name });
          sent++;
        }
        // Now and then one goes away again, rejected or not.
        const random = Random.forCase(config, index, 1);
        if (applied.length > 0 && random.chance(0.15)) {
          const [gone] = applied.splice(random.below(applied.length), 1);
          stack.api.delete(resourceOf(gone!.kind), gone!.namespace, gone!.name);
          const ref = { metadata: { namespace: gone!.namespace, name: gone!.name } };
          quietly(() => (gone!.kind === 'Service' ? oracle.deleteService(ref) : oracle.deleteSlice(ref)));
          applied.splice(0, applied.length, ...applied.filter((item) => !(item.kind === gone!.kind && item.namespace === gone!.namespace && item.name === gone!.name)));
        }
      }

      // Markers at the end of both watches: once they are in, every object before them is.
      const marker = `marker-${batch}`;
      stack.api.apply('services', { metadata: { name: marker, namespace: anchorNamespace }, spec: { ports: [{ port: 1 }] } });
      const address = `10.255.${batch >> 8}.${batch & 255}`;
      stack.api.apply('endpointslices', anchorSlice(address));
      // Changes reach the pipeline in order: once the marker's listener is published, every Service before it was built.
      await waitFor(`the marker Service ${marker} to be published`, () => stack.cache.get('proxyless')?.resources(TypeUrl.Listener).has(`${marker}.${anchorNamespace}.svc.cluster.local:1`));
      const response = await client.nextOf(TypeUrl.Endpoint);
      const wrong = (problem: string) => failures.push(`batch ${batch} (cases ${batchFirst}..${batchEnd - 1}): ${problem}\n    rerun: ${rerunHint(config, config.first, (batchEnd - config.first) * 10, file)}`);
      const got = anchorAddresses(response.resources);
      if (response.names.join() !== anchorCluster || got.join() !== address) wrong(`the anchor's client got ${response.names.join()} [${got.join(', ')}], expected ${address}`);
      client.request(TypeUrl.Endpoint, [anchorCluster]);
      quietly(() => {
        oracle.applyService({ metadata: { name: marker, namespace: anchorNamespace }, spec: { ports: [{ port: 1 }] } });
        oracle.applySlice(anchorSlice(address));
      });

      const status = stack.source.status();
      if (status.badObjects !== oracle.badObjects) wrong(`the source counted ${status.badObjects} bad objects, the store alone ${oracle.badObjects}`);
      if (status.rejectedObjects !== oracle.rejectedObjects) wrong(`the source has ${status.rejectedObjects} rejected objects, the store alone ${oracle.rejectedObjects}`);
      const logged = log.lines.filter((line) => line.msg === skipped).length;
      if (logged !== status.badObjects) wrong(`${logged} bad objects logged, ${status.badObjects} counted`);
      const metric = await stack.badObjectsMetric();
      if (metric !== status.badObjects) wrong(`kube_xds_source_bad_objects_total is ${metric}, the source counted ${status.badObjects}`);
      const models = stack.source.services();
      const expected = oracle.services();
      const differing = [...new Set([...models.keys(), ...expected.keys()])].filter((key) => !isDeepStrictEqual(models.get(key), expected.get(key)));
      if (differing.length > 0) wrong(`the source's model differs from the store's for ${differing.slice(0, 3).join(', ')}`);
      const errors = log.lines.filter((line) => line.level === 'error');
      if (errors.length > 0) wrong(`logged as errors: ${errors.slice(0, 3).map((line) => `${line.msg} ${JSON.stringify(line).slice(0, 300)}`).join('; ')}`);
      // Every TCP port of every Service the source accepted has its listener.
      const listeners = stack.cache.get('proxyless')?.resources(TypeUrl.Listener);
      const unserved = [...models.entries()].flatMap(([key, model]) => {
        if (reportedUnserved.has(key)) return [];
        const missing = model.ports.filter((port) => port.protocol === 'TCP' && !listeners?.has(`${model.name}.${model.namespace}.svc.cluster.local:${port.port}`));
        if (missing.length === 0) return [];
        reportedUnserved.add(key);
        const named = model.ports.filter((port) => /^\d+$/.test(port.name)).map((port) => `${port.name} (port ${port.port})`);
        return [`${key}: no listener for port ${missing.map((port) => port.port).slice(0, 3).join(', ')}${named.length > 0 ? `; ports named by numbers: ${named.slice(0, 3).join(', ')}` : ''}`];
      });
      if (unserved.length > 0) wrong(`valid Services not served: ${unserved.slice(0, 3).join('; ')}`);
      log.lines.splice(0, log.lines.length, ...log.lines.filter((line) => line.msg === skipped));
    }

    // A relist (the watch's resourceVersion expired) reads every object again: none is counted or logged twice.
    const before = stack.source.status().badObjects;
    stack.api.compact();
    stack.api.expireWatches();
    await waitFor('the relist after 410 Gone', () => stack.source.status().connected && stack.api.openWatches() === 2 && stack.api.requests.filter((r) => r.verb === 'list').length > 2);
    stack.api.apply('endpointslices', anchorSlice('10.255.255.255'));
    assert.equal(anchorAddresses((await client.nextOf(TypeUrl.Endpoint)).resources), ['10.255.255.255']);
    assert.is(stack.source.status().badObjects, before, 'a relist counts no bad object again');
    assert.is(log.lines.filter((line) => line.msg === skipped).length, before, 'nor logs one again');
    client.close();

    assert.ok(failures.length === 0, `${failures.length} failing batches (seed ${config.seed}), the first ones:\n${failures.slice(0, 5).join('\n')}`);
    assert.ok(sent >= cases, `${sent} objects sent`);
    if (cases >= 50) assert.ok(before > sent * 0.2, `${before} of ${sent} objects were rejected`);
    for (const clientClass of clientClasses) assert.ok(stack.cache.get(clientClass), `${clientClass} is published`);
    console.log(`  kubernetes source: ${cases} cases from seed ${config.seed}: ${sent} objects sent, ${before} rejected`);
  } finally {
    await stack.stop();
    log.restore();
  }
});

test.run();
