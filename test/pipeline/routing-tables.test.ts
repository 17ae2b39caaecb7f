// Envoy's routing kept a Service at a time: after any sequence of Service changes, what the
// routing tables have reported (their changes, applied in order) is byte for byte a full
// build of the model, for the gateway and the sidecar; equal content has an equal version
// whatever the history; and a change reports only the resources it touched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeResource, type Resource } from '../../control-plane/resource.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoyRoutingLayout, sharedRouting } from '../../envoy-config/build.ts';
import { envoyVirtualHosts } from '../../envoy-config/envoy-routes.ts';
import { envoyConfigOptions } from '../../envoy-config/options.ts';
import type { ServiceModel, ServicePortModel } from '../../k8s/model.ts';
import { RoutingTables, type RoutingChanges } from '../../pipeline/routing-tables.ts';
import { encodeVirtualHost } from '../../pipeline/virtual-host-bytes.ts';

const options = envoyConfigOptions({ gatewayPorts: [8080, 8443] });
const envoyClasses = ['gateway', 'sidecar'] as const;
type EnvoyClass = (typeof envoyClasses)[number];

function port(number: number, name: string, protocol: ServicePortModel['protocol'] = 'TCP'): ServicePortModel {
  return { name, port: number, protocol, ...(name.startsWith('grpc') && { appProtocol: 'grpc' }), endpoints: [] };
}

function model(namespace: string, name: string, ports: ServicePortModel[]): ServiceModel {
  return { namespace, name, ports: [...ports].sort((a, b) => a.port - b.port), ipFamily: 'IPv4', annotations: {} };
}

const key = (service: ServiceModel) => `${service.namespace}/${service.name}`;

function tablesFor(clientClass: EnvoyClass, services: Iterable<ServiceModel> = []): RoutingTables {
  const tables = new RoutingTables(envoyRoutingLayout(clientClass, options)!);
  for (const service of services) place(tables, service);
  return tables;
}

function place(tables: RoutingTables, service: ServiceModel): void {
  tables.place(key(service), envoyVirtualHosts(service, options).map(encodeVirtualHost));
}

/** A client's view: resources by type and name, as the changes left it. */
type View = Map<TypeUrl, Map<string, Resource>>;

function apply(view: View, { listeners, routes }: RoutingChanges): void {
  for (const [type, patch] of [[TypeUrl.Listener, listeners], [TypeUrl.Route, routes]] as const) {
    const held = view.get(type) ?? new Map<string, Resource>();
    for (const name of patch.removals) held.delete(name);
    for (const resource of patch.upserts) held.set(resource.name, resource);
    view.set(type, held);
  }
}

function viewOf(tables: RoutingTables): View {
  const { listeners, routes } = tables.resources();
  return new Map([
    [TypeUrl.Listener, new Map(listeners.map((resource) => [resource.name, resource]))],
    [TypeUrl.Route, new Map(routes.map((resource) => [resource.name, resource]))],
  ]);
}

function assertFullBuild(view: View, services: Iterable<ServiceModel>, clientClass: EnvoyClass, step: string): void {
  const set = sharedRouting([...services], clientClass, options);
  const expected = new Map<TypeUrl, Resource[]>([
    [TypeUrl.Listener, set.listeners.map((listener) => encodeResource(TypeUrl.Listener, listener))],
    [TypeUrl.Route, set.routes.map((routes) => encodeResource(TypeUrl.Route, routes))],
  ]);
  for (const [type, resources] of expected) {
    const held = view.get(type) ?? new Map();
    assert.equal([...held.keys()].sort(), resources.map((resource) => resource.name), `${step}: ${clientClass} ${type} names`);
    for (const resource of resources) {
      assert.ok(Buffer.from(held.get(resource.name)!.any).equals(resource.any), `${step}: ${clientClass} ${resource.name} bytes`);
    }
  }
}

/** A small deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Few names in few namespaces on few ports: short forms are claimed twice, then freed, often.
const namespaces = ['a', 'b', 'c'];
const names = ['echo', 'web', 'api'];
const portChoices = [port(80, 'http'), port(50051, 'grpc'), port(9000, ''), port(53, 'dns', 'UDP'), port(8080, 'grpc-alt')];

function randomModel(next: () => number): ServiceModel {
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  const count = 1 + Math.floor(next() * 3);
  const ports = new Map<number, ServicePortModel>();
  while (ports.size < count) {
    const chosen = pick(portChoices);
    ports.set(chosen.port, chosen);
  }
  return model(pick(namespaces), pick(names), [...ports.values()]);
}

for (const clientClass of envoyClasses) {
  test(`${clientClass}: after every batch of random Service changes, the reported changes add up to a full build`, () => {
    const next = random(clientClass === 'gateway' ? 11 : 12);
    const services = new Map<string, ServiceModel>();
    const tables = tablesFor(clientClass);
    const view: View = new Map();
    apply(view, { listeners: { upserts: tables.resources().listeners, removals: [] }, routes: { upserts: tables.resources().routes, removals: [] } });
    for (let batch = 0; batch < 150; batch++) {
      const before = new Map([...(view.get(TypeUrl.Route) ?? [])]);
      for (let change = Math.floor(next() * 3); change >= 0; change--) {
        const service = randomModel(next);
        if (next() < 0.3 && services.has(key(service))) {
          services.delete(key(service));
          tables.place(key(service), undefined);
        } else {
          services.set(key(service), service);
          place(tables, service);
        }
      }
      const changes = tables.changes();
      apply(view, changes);
      assertFullBuild(view, services.values(), clientClass, `batch ${batch}`);
      for (const resource of changes.routes.upserts) {
        const old = before.get(resource.name);
        if (old) assert.is(old.version === resource.version, Buffer.from(old.any).equals(resource.any), `batch ${batch}: ${resource.name}'s version changes with its bytes`);
      }
      // The same content built at once has the same versions.
      const fresh = viewOf(tablesFor(clientClass, services.values()));
      for (const [name, resource] of fresh.get(TypeUrl.Route)!) assert.is(view.get(TypeUrl.Route)!.get(name)!.version, resource.version, `batch ${batch}: ${name}'s version`);
    }
  });
}

test('sidecar: a change reports only the RouteConfiguration of its port; a port gets its listener with its first Service and loses it with its last', () => {
  const echo = model('a', 'echo', [port(80, 'http')]);
  const web = model('a', 'web', [port(80, 'http')]);
  const api = model('a', 'api', [port(50051, 'grpc')]);
  const tables = tablesFor('sidecar', [echo, web]);
  tables.resources();
  const summary = ({ listeners, routes }: RoutingChanges) => ({
    listeners: { upserts: listeners.upserts.map((resource) => resource.name), removals: listeners.removals },
    routes: { upserts: routes.upserts.map((resource) => resource.name), removals: routes.removals },
  });

  place(tables, api);
  assert.equal(summary(tables.changes()), { listeners: { upserts: ['sidecar_50051'], removals: [] }, routes: { upserts: ['sidecar_50051'], removals: [] } });
  place(tables, model('a', 'web', [port(80, 'grpc-web')]));
  assert.equal(summary(tables.changes()), { listeners: { upserts: [], removals: [] }, routes: { upserts: ['sidecar_80'], removals: [] } });
  place(tables, model('a', 'web', [port(80, 'grpc-web')]));
  assert.equal(summary(tables.changes()), { listeners: { upserts: [], removals: [] }, routes: { upserts: [], removals: [] } }, 'the same again changes nothing');
  tables.place(key(api), undefined);
  assert.equal(summary(tables.changes()), { listeners: { upserts: [], removals: ['sidecar_50051'] }, routes: { upserts: [], removals: ['sidecar_50051'] } });
});

test('gateway: a Service taking a short name changes the host that had it, and giving it back restores its bytes', () => {
  const first = model('a', 'echo', [port(80, 'http')]);
  const tables = tablesFor('gateway', [first]);
  const alone = tables.resources().routes[0]!;
  const second = model('b', 'echo', [port(80, 'http')]);
  place(tables, second);
  const shared = tables.changes().routes.upserts[0]!;
  assertFullBuild(viewOf(tables), [first, second], 'gateway', 'with both');
  assert.is.not(shared.version, alone.version);
  tables.place(key(second), undefined);
  const back = tables.changes().routes.upserts[0]!;
  assert.is(back.version, alone.version);
  assert.ok(Buffer.from(back.any).equals(alone.any));
  assert.equal(tables.resources().listeners.map((listener) => listener.name), ['gateway_8080', 'gateway_8443'], 'fixed listeners, never in the changes');
});

test.run();
