// A rebuild keeps the resources whose content did not change as the same objects (clients
// already hold their bytes, and the snapshot keeps them), on both paths: a shape change and
// an endpoints-only change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl } from '../../control-plane/types.ts';
import { clientClasses } from '../../envoy-config/resource-set.ts';
import { envoyConfigBuilders } from '../../pipeline/builders.ts';
import { resourcesOf } from '../../pipeline/service-state.ts';
import { ServiceStates } from '../../pipeline/service-states.ts';
import { options, service } from './fixtures.ts';

const key = 'shop/web';
const types = [TypeUrl.Cluster, TypeUrl.Endpoint, TypeUrl.Listener, TypeUrl.Route];

function built(model = service('web', ['10.0.0.1'])): ServiceStates {
  const states = new ServiceStates(options.envoy, envoyConfigBuilders);
  states.buildAll(new Map([[key, model]]));
  return states;
}

test('a rebuild whose resources come out the same keeps every one of them', () => {
  const states = built();
  const before = states.get(key)!;
  const { rebuilt } = states.apply([key], new Map([[key, { ...service('web', ['10.0.0.1']), annotations: { note: 'no resource reads it' } }]]));
  assert.ok(rebuilt.has(key), 'the shape changed: a rebuild');
  const after = states.get(key)!;
  assert.is.not(after, before);
  let compared = 0;
  for (const clientClass of clientClasses) {
    for (const type of types) {
      const previous = resourcesOf(before, clientClass, type);
      resourcesOf(after, clientClass, type).forEach((resource, index) => assert.is(resource, previous[index], `${clientClass} ${type}`));
      compared += previous.length;
    }
  }
  assert.ok(compared >= 10, 'proxyless: 6 listeners, a route, a cluster and an assignment; Envoy: a cluster and the assignment');
});

test('a rebuild encodes anew only what changed', () => {
  const states = built();
  const before = states.get(key)!;
  states.apply([key], new Map([[key, service('web', ['10.0.0.2'], [{ name: 'grpc', port: 50051 }, { name: 'http', port: 8080 }])]]));
  const after = states.get(key)!;
  const oldCluster = resourcesOf(before, 'gateway', TypeUrl.Cluster)[0]!;
  assert.is(resourcesOf(after, 'gateway', TypeUrl.Cluster).find((cluster) => cluster.name === oldCluster.name), oldCluster, 'the existing port is unchanged');
  assert.is.not(resourcesOf(after, 'gateway', TypeUrl.Endpoint)[0]!.version, resourcesOf(before, 'gateway', TypeUrl.Endpoint)[0]!.version);
});

test('an endpoints change that changes no assignment keeps them', () => {
  const states = built(service('web', ['10.0.0.1'], [{ name: 'grpc', port: 50051 }, { name: 'http', port: 8080 }]));
  const before = states.get(key)!.endpoints;
  const model = service('web', ['10.0.0.1'], [{ name: 'grpc', port: 50051 }, { name: 'http', port: 8080 }]);
  const changes = states.apply([key], new Map([[key, { ...model, ports: [model.ports[0]!, { ...model.ports[1]!, endpoints: [] }] }]]));
  assert.is(changes.rebuilt.size, 0, 'the fast path');
  const after = states.get(key)!.endpoints;
  assert.is(after.length, 2);
  const same = after.filter((assignment) => before.includes(assignment));
  assert.is(same.length, 1, 'the unchanged assignment is the same object, the changed one new');
});

test.run();
