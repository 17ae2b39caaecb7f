// What the pipeline tests share: small Service models, the pipeline's options, and the check
// that what the pipeline published equals a full build.
import * as assert from 'uvu/assert';
import { Snapshot } from '../../control-plane/snapshot.ts';
import type { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { pushOrder, TypeUrl } from '../../control-plane/types.ts';
import { buildResourceSet } from '../../envoy-config/build.ts';
import { envoyConfigOptions } from '../../envoy-config/options.ts';
import { clientClasses } from '../../envoy-config/resource-set.ts';
import type { ServiceModel } from '../../k8s/model.ts';
import type { MemorySource } from '../support/memory-source.ts';

export function service(name: string, addresses: string[], ports: Array<{ name: string; port: number }> = [{ name: 'grpc', port: 50051 }]): ServiceModel {
  return {
    namespace: 'shop',
    name,
    ipFamily: 'IPv4',
    annotations: {},
    ports: ports.map((port) => ({
      ...port,
      protocol: 'TCP',
      appProtocol: 'grpc',
      endpoints: addresses.map((address) => ({ address, port: port.port, zone: 'a', health: 'HEALTHY' as const })),
    })),
  };
}

export const options = { envoy: envoyConfigOptions(), coalesceWindowMs: 5, coalesceMaxDelayMs: 50 };

/**
 * Every class's published snapshot holds exactly the resources of a full build of
 * `services` (by default the source's current model), byte for byte.
 */
export function assertMatchesFullBuild({ source, cache }: { source: MemorySource; cache: SnapshotCache }, services: Iterable<ServiceModel> = source.services().values()): void {
  const models = [...services];
  for (const clientClass of clientClasses) {
    const set = buildResourceSet(models, clientClass, options.envoy);
    const expected = Snapshot.fromMessages({
      [TypeUrl.Cluster]: set.clusters, [TypeUrl.Endpoint]: set.endpoints, [TypeUrl.Listener]: set.listeners, [TypeUrl.Route]: set.routes,
    });
    assert.ok(cache.get(clientClass), `${clientClass} is published`);
    for (const type of pushOrder) {
      const published = cache.get(clientClass)!.resources(type);
      assert.equal([...published.keys()].sort(), [...expected.resources(type).keys()].sort(), `${clientClass} ${type}: names`);
      for (const [name, resource] of expected.resources(type)) {
        assert.ok(Buffer.from(published.get(name)!.any).equals(resource.any), `${clientClass} ${type} ${name}: bytes`);
      }
    }
  }
}
