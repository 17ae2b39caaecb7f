// The gateway role's routing with Gateways beside Services, kept a change at a time: after
// random Service and Gateway changes (hostnames that clash with Services' short names and with
// each other, on the shared gateway port and on a port of their own), what the routing tables
// reported adds up to a full build, byte for byte, and a Gateway change reports only the
// RouteConfiguration (and listener) of its port.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeResource, type Resource } from '../../control-plane/resource.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoyRoutingLayout, sharedRouting } from '../../envoy-config/build.ts';
import { envoyVirtualHosts } from '../../envoy-config/envoy-routes.ts';
import { gatewayVirtualHosts } from '../../envoy-config/gateway-routes.ts';
import { envoyConfigOptions } from '../../envoy-config/options.ts';
import { gatewayChangeKey, type GatewayModel } from '../../k8s/gateway-model.ts';
import type { ServiceModel } from '../../k8s/model.ts';
import type { RouteEntryModel } from '../../k8s/route-model.ts';
import { RoutingTables, type RoutingChanges } from '../../pipeline/routing-tables.ts';
import { encodeVirtualHost } from '../../pipeline/virtual-host-bytes.ts';

const options = envoyConfigOptions({ gatewayPorts: [8080] });

function service(namespace: string, name: string): ServiceModel {
  return { namespace, name, ports: [{ name: 'grpc', port: 50051, protocol: 'TCP', appProtocol: 'grpc', endpoints: [] }], ipFamily: 'IPv4', annotations: {} };
}

const entry = (name: string): RouteEntryModel => ({
  origin: { kind: 'GRPCRoute', namespace: 'a', name, rule: 0, match: 0 },
  match: { headers: [], queryParams: [] },
  backends: [{ namespace: 'a', name: 'echo', port: 50051, weight: 1, resolved: true }],
});

function gateway(name: string, port: number, hostnames: readonly string[]): GatewayModel {
  return { namespace: 'a', name, listeners: [{ name: 'http', port, virtualHosts: hostnames.map((hostname) => ({ hostname, routes: [entry(name)] })) }] };
}

type View = Map<TypeUrl, Map<string, Resource>>;

function apply(view: View, { listeners, routes }: RoutingChanges): void {
  for (const [type, patch] of [[TypeUrl.Listener, listeners], [TypeUrl.Route, routes]] as const) {
    const held = view.get(type) ?? new Map<string, Resource>();
    for (const name of patch.removals) held.delete(name);
    for (const resource of patch.upserts) held.set(resource.name, resource);
    view.set(type, held);
  }
}

function assertFullBuild(view: View, services: Iterable<ServiceModel>, gateways: Iterable<GatewayModel>, step: string): void {
  const set = sharedRouting([...services], 'gateway', options, [...gateways]);
  for (const [type, built] of [[TypeUrl.Listener, set.listeners.map((l) => encodeResource(TypeUrl.Listener, l))], [TypeUrl.Route, set.routes.map((r) => encodeResource(TypeUrl.Route, r))]] as const) {
    const held = view.get(type) ?? new Map();
    assert.equal([...held.keys()].sort(), built.map((resource) => resource.name), `${step}: ${type} names`);
    for (const resource of built) assert.ok(Buffer.from(held.get(resource.name)!.any).equals(resource.any), `${step}: ${resource.name} bytes`);
  }
}

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('after every batch of random Service and Gateway changes, the reported changes add up to a full build', () => {
  const next = random(7);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
  // `echo.a` and `echo` are Services' domains too; `*` and `x.example.com` clash between Gateways.
  const hostnameChoices = ['echo.a', 'echo', '*', 'x.example.com', '*.example.com', 'web.b:8080'];
  const tables = new RoutingTables(envoyRoutingLayout('gateway', options)!);
  const services = new Map<string, ServiceModel>();
  const gateways = new Map<string, GatewayModel>();
  const view: View = new Map();
  apply(view, { listeners: { upserts: tables.resources().listeners, removals: [] }, routes: { upserts: tables.resources().routes, removals: [] } });
  for (let batch = 0; batch < 200; batch++) {
    for (let change = Math.floor(next() * 3); change >= 0; change--) {
      if (next() < 0.4) {
        const model = service(pick(['a', 'b']), pick(['echo', 'web']));
        const key = `${model.namespace}/${model.name}`;
        if (next() < 0.3) services.delete(key);
        else services.set(key, model);
        tables.place(key, services.has(key) ? envoyVirtualHosts(model, options).map(encodeVirtualHost) : undefined);
      } else {
        const model = gateway(pick(['g1', 'g2', 'g3']), pick([8080, 9090]), [...new Set([pick(hostnameChoices), pick(hostnameChoices)])].filter((h) => !h.includes(':')));
        const key = gatewayChangeKey(`a/${model.name}`);
        if (next() < 0.3) gateways.delete(key);
        else gateways.set(key, model);
        tables.place(key, gateways.has(key) ? gatewayVirtualHosts(model, options).map(encodeVirtualHost) : undefined);
      }
    }
    apply(view, tables.changes());
    assertFullBuild(view, services.values(), gateways.values(), `batch ${batch}`);
  }
});

test('a Gateway hostname equal to a Service domain goes to the Gateway; the Service keeps its other domains', () => {
  const set = sharedRouting([service('a', 'echo')], 'gateway', options, [gateway('g1', 8080, ['echo.a'])]);
  const hosts = set.routes.find((route) => route.name === 'gateway')!.virtual_hosts!;
  const domains = Object.fromEntries(hosts.map((host) => [host.name, host.domains]));
  assert.equal(domains['gateway|a/g1|http|echo.a'], ['echo.a', 'echo.a:8080']);
  assert.equal(domains['outbound|50051||echo.a.svc.cluster.local'], ['echo', 'echo:50051', 'echo.a:50051', 'echo.a.svc', 'echo.a.svc:50051', 'echo.a.svc.cluster.local', 'echo.a.svc.cluster.local:50051']);
});

test('a Gateway change touches only its port: its own listener and RouteConfiguration on 9090, the shared one on 8080', () => {
  const tables = new RoutingTables(envoyRoutingLayout('gateway', options)!);
  tables.place('a/echo', envoyVirtualHosts(service('a', 'echo'), options).map(encodeVirtualHost));
  tables.changes();
  tables.place(gatewayChangeKey('a/g1'), gatewayVirtualHosts(gateway('g1', 9090, ['x.example.com']), options).map(encodeVirtualHost));
  const added = tables.changes();
  assert.equal([added.listeners.upserts.map((r) => r.name), added.routes.upserts.map((r) => r.name)], [['gateway_9090'], ['gateway_9090']]);
  tables.place(gatewayChangeKey('a/g1'), undefined);
  const removed = tables.changes();
  assert.equal([removed.listeners.removals, removed.routes.removals], [['gateway_9090'], ['gateway_9090']]);
  tables.place(gatewayChangeKey('a/g2'), gatewayVirtualHosts(gateway('g2', 8080, ['*']), options).map(encodeVirtualHost));
  const shared = tables.changes();
  assert.equal([shared.listeners.upserts.length, shared.routes.upserts.map((r) => r.name)], [0, ['gateway']]);
});

test.run();
