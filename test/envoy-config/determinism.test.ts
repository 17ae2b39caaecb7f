// Equal models give byte-equal resources, whatever order Services arrive in, and a Service
// port's ClusterLoadAssignment is the same bytes for every client class.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildResourceSet, clientClasses, envoyConfigOptions, type ResourceSet } from '../../envoy-config/index.ts';
import { encodeSet, resourceKinds } from './support/readable.ts';
import { routedModel } from './support/routed-model.ts';
import { sampleModel } from './support/sample-model.ts';

const options = envoyConfigOptions();

function names(set: ResourceSet): Record<keyof ResourceSet, string[]> {
  return {
    listeners: set.listeners.map((listener) => listener.name!),
    routes: set.routes.map((route) => route.name!),
    clusters: set.clusters.map((cluster) => cluster.name!),
    endpoints: set.endpoints.map((assignment) => assignment.cluster_name!),
  };
}

for (const clientClass of clientClasses) {
  for (const [model, name] of [[sampleModel, 'the sample model'], [routedModel, 'Services with routes']] as const) {
    test(`${clientClass}: building twice, from a copy in reverse order, gives the same bytes (${name})`, () => {
      const first = encodeSet(buildResourceSet(model, clientClass, options));
      const copy = structuredClone([...model].reverse());
      const second = encodeSet(buildResourceSet(copy, clientClass, options));
      for (const kind of resourceKinds) assert.equal(second[kind].map(Buffer.from), first[kind].map(Buffer.from), kind);
    });
  }

  test(`${clientClass}: every list is sorted by resource name, names unique`, () => {
    const set = names(buildResourceSet(sampleModel, clientClass, options));
    for (const kind of resourceKinds) {
      const sorted = [...set[kind]].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      assert.equal(set[kind], sorted, kind);
      assert.is(new Set(set[kind]).size, set[kind].length, `${kind} names are unique`);
    }
  });
}

test('ClusterLoadAssignment bytes are identical across client classes', () => {
  const [proxyless, gateway, sidecar] = clientClasses.map((clientClass) => encodeSet(buildResourceSet(sampleModel, clientClass, options)).endpoints.map(Buffer.from));
  assert.ok(proxyless!.length > 0);
  assert.equal(gateway, proxyless);
  assert.equal(sidecar, proxyless);
});

test.run();
