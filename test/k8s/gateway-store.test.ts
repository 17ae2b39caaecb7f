// Gateways of kube-xds's class in the store: Routes attached to their listeners (sectionName
// and port, protocol, allowedRoutes, hostname intersection), the model the gateway role is
// built from, the Routes' parent statuses and the Gateway's own, and incremental change keys.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gatewayChangeKey, type GatewayModel } from '../../k8s/gateway-model.ts';
import type { GatewayStatusModel } from '../../k8s/gateways/gateway-status.ts';
import { compareSpecificity, intersectHostnames } from '../../k8s/gateways/hostnames.ts';
import { readGateway } from '../../k8s/gateways/read-gateway.ts';
import type { RouteStatusModel } from '../../k8s/routes/route-status.ts';
import { parseManifest } from '../../k8s/manifests.ts';
import { ModelStore } from '../../k8s/store.ts';
import { captureLog } from '../support/capture-log.ts';
import { backend, gateway, gatewayParent, grpcRoute, httpListener, httpRoute, service, type Json } from './fixtures.ts';

function harness(options: ConstructorParameters<typeof ModelStore>[0] = {}) {
  const log = captureLog();
  const gatewayStatuses = new Map<string, GatewayStatusModel | undefined>();
  const store = new ModelStore({ ...options, onGatewayStatus: (key, status) => gatewayStatuses.set(key, status) });
  return { store, gatewayStatuses, done: () => log.restore() };
}

const keys = (set: ReadonlySet<string>) => [...set].sort();

/** Each virtual host as `listener hostname: Kind/name rule -> backend:port*weight(! unresolved)`. */
function summary(model: GatewayModel | undefined): string[] {
  return (model?.listeners ?? []).flatMap((listener) =>
    listener.virtualHosts.map((host) => {
      const routes = host.routes.map((entry) => `${entry.origin.kind}/${entry.origin.name} ${entry.origin.rule} -> ${entry.backends.map((b) => `${b.name}:${b.port}*${b.weight}${b.resolved ? '' : '!'}`).join(',')}`);
      return `${listener.name}:${listener.port} ${host.hostname}: ${routes.join(' | ')}`;
    }),
  );
}

function parentConditions(status: RouteStatusModel | undefined, parent = 0): Record<string, string> {
  return Object.fromEntries((status?.parents[parent]?.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}`]));
}

const split = (name: string, extra: { namespace?: string; hostnames?: string[]; parentRefs?: Json[] } = {}) =>
  grpcRoute(name, {
    parentRefs: [gatewayParent('edge')],
    ...extra,
    rules: [{ backendRefs: [backend('echo', 50051, { weight: 90 }), backend('echo-canary', 50051, { weight: 10 })] }],
  });

test('hostname intersection follows the Gateway API: the narrower of each overlapping pair, nothing when none overlaps', () => {
  assert.equal(intersectHostnames(undefined, []), ['*']);
  assert.equal(intersectHostnames('*.example.com', []), ['*.example.com']);
  assert.equal(intersectHostnames(undefined, ['a.example.com']), ['a.example.com']);
  assert.equal(intersectHostnames('*.example.com', ['a.example.com', 'example.com', 'b.other.org']), ['a.example.com']);
  assert.equal(intersectHostnames('a.example.com', ['*.example.com']), ['a.example.com']);
  assert.equal(intersectHostnames('*.example.com', ['*.foo.example.com']), ['*.foo.example.com']);
  assert.equal(intersectHostnames('a.example.com', ['b.example.com']), []);
  assert.equal(['*', '*.example.com', 'a.example.com', '*.a.example.com'].sort(compareSpecificity), ['a.example.com', '*.a.example.com', '*.example.com', '*']);
});

test('a Gateway is read with its listeners; what the schema forbids is refused', () => {
  const record = readGateway(gateway('edge', { listeners: [httpListener('web', 8080, { hostname: '*.example.com', allowedRoutes: { namespaces: { from: 'All' }, kinds: [{ kind: 'GRPCRoute' }, { kind: 'TLSRoute' }] } })] }));
  assert.equal(record.listeners, [{ index: 0, name: 'web', port: 8080, protocol: 'HTTP', hostname: '*.example.com', namespaces: 'All', kinds: ['GRPCRoute'], invalidKinds: ['gateway.networking.k8s.io/TLSRoute'] }]);
  assert.throws(() => readGateway(gateway('edge', { listeners: [] })), /spec\.listeners.*at least one/);
  assert.throws(() => readGateway(gateway('edge', { listeners: [httpListener('a', 80), httpListener('a', 81)] })), /unique/);
  assert.throws(() => readGateway(gateway('edge', { listeners: [httpListener('a', 80, { hostname: 'Bad_Host' })] })), /hostname/);
});

test('a GRPCRoute attached to a listener: its hostname becomes a virtual host with the split; both statuses say so', () => {
  const h = harness();
  h.store.applyService(service('echo'));
  h.store.applyService(service('echo-canary'));
  const changed = h.store.applyGateway(gateway('edge', { generation: 2, listeners: [httpListener('http', 80, { hostname: '*.example.com' })] }));
  assert.equal(keys(changed), [gatewayChangeKey('default/edge')]);
  assert.equal(keys(h.store.applyRoute('GRPCRoute', split('echo', { hostnames: ['echo.example.com'] }))), [gatewayChangeKey('default/edge')]);
  assert.equal(summary(h.store.gateways().get('default/edge')), ['http:80 echo.example.com: GRPCRoute/echo 0 -> echo:50051*90,echo-canary:50051*10']);
  const status = h.store.routeStatuses().get('GRPCRoute/default/echo');
  assert.equal(status?.parents[0]?.controllerName, 'kube-xds.io/gateway');
  assert.equal(parentConditions(status), { Accepted: 'True Accepted', ResolvedRefs: 'True ResolvedRefs' });
  const gatewayStatus = h.gatewayStatuses.get('default/edge');
  assert.equal(gatewayStatus?.conditions.map((c) => `${c.type} ${c.status} ${c.observedGeneration}`), ['Accepted True 2', 'Programmed True 2']);
  assert.equal(gatewayStatus?.listeners.map((l) => [l.name, l.attachedRoutes, l.conditions.map((c) => `${c.type} ${c.status}`)]), [['http', 1, ['Accepted True', 'Programmed True', 'ResolvedRefs True']]]);
  h.done();
});

test('a Route whose hostname no listener accepts is NoMatchingListenerHostname and adds nothing', () => {
  const h = harness();
  h.store.applyGateway(gateway('edge', { listeners: [httpListener('http', 80, { hostname: '*.example.com' })] }));
  h.store.applyRoute('GRPCRoute', split('elsewhere', { hostnames: ['echo.other.org'] }));
  assert.equal(parentConditions(h.store.routeStatuses().get('GRPCRoute/default/elsewhere')).Accepted, 'False NoMatchingListenerHostname');
  assert.equal(summary(h.store.gateways().get('default/edge')), []);
  assert.equal(h.gatewayStatuses.get('default/edge')?.listeners[0]?.attachedRoutes, 0);
  h.done();
});

test('allowedRoutes: Same (the default) refuses another namespace with NotAllowedByListeners, All lets it in, and kinds limit the kind', () => {
  const h = harness();
  h.store.applyGateway(gateway('edge', { listeners: [httpListener('http', 80)] }));
  const foreign = split('foreign', { namespace: 'team', parentRefs: [gatewayParent('edge', { namespace: 'default' })] });
  h.store.applyRoute('GRPCRoute', foreign);
  assert.equal(parentConditions(h.store.routeStatuses().get('GRPCRoute/team/foreign')).Accepted, 'False NotAllowedByListeners');
  h.store.applyGateway(gateway('edge', { listeners: [httpListener('http', 80, { allowedRoutes: { namespaces: { from: 'All' } } })] }));
  assert.equal(parentConditions(h.store.routeStatuses().get('GRPCRoute/team/foreign')).Accepted, 'True Accepted');
  assert.equal(summary(h.store.gateways().get('default/edge')).length, 1);
  h.store.applyGateway(gateway('edge', { listeners: [httpListener('http', 80, { allowedRoutes: { namespaces: { from: 'All' }, kinds: [{ kind: 'HTTPRoute' }] } })] }));
  assert.equal(parentConditions(h.store.routeStatuses().get('GRPCRoute/team/foreign')).Accepted, 'False NotAllowedByListeners');
  h.store.applyGateway(gateway('edge', { listeners: [httpListener('http', 80, { allowedRoutes: { namespaces: { from: 'Selector', selector: {} } } })] }));
  assert.equal(h.gatewayStatuses.get('default/edge')?.listeners[0]?.conditions[0], { type: 'Accepted', status: 'False', reason: 'UnsupportedValue', message: 'allowedRoutes.namespaces.from: Selector is not supported yet (use Same or All)', observedGeneration: 0 });
  h.done();
});

test('sectionName and port pick listeners; an HTTPS listener is refused with UnsupportedProtocol and Routes on it get NoMatchingParent', () => {
  const h = harness();
  h.store.applyGateway(gateway('edge', { listeners: [httpListener('http', 80), { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'a.example.com' }] }));
  h.store.applyRoute('GRPCRoute', split('on-http', { parentRefs: [gatewayParent('edge', { sectionName: 'http', port: 80 })] }));
  h.store.applyRoute('GRPCRoute', split('on-https', { parentRefs: [gatewayParent('edge', { sectionName: 'https' })] }));
  h.store.applyRoute('GRPCRoute', split('no-such', { parentRefs: [gatewayParent('edge', { port: 8443 })] }));
  assert.equal(parentConditions(h.store.routeStatuses().get('GRPCRoute/default/on-http')).Accepted, 'True Accepted');
  assert.equal(parentConditions(h.store.routeStatuses().get('GRPCRoute/default/on-https')).Accepted, 'False NoMatchingParent');
  assert.equal(parentConditions(h.store.routeStatuses().get('GRPCRoute/default/no-such')).Accepted, 'False NoMatchingParent');
  assert.equal(h.store.gateways().get('default/edge')?.listeners.map((l) => l.name), ['http']);
  const https = h.gatewayStatuses.get('default/edge')?.listeners[1];
  assert.equal(https?.conditions.map((c) => `${c.type} ${c.status} ${c.reason}`), ['Accepted False UnsupportedProtocol', 'Programmed False Invalid', 'ResolvedRefs True ResolvedRefs']);
  h.done();
});

test('a Gateway of another class is not served: no model, no status, and its Routes get no entry from kube-xds', () => {
  const h = harness({ gatewayClassName: 'ours' });
  assert.equal(keys(h.store.applyGateway(gateway('edge', { className: 'theirs' }))), []);
  h.store.applyRoute('GRPCRoute', split('echo'));
  assert.equal(h.store.gateways().size, 0);
  assert.equal(h.store.routeStatuses().has('GRPCRoute/default/echo'), false);
  // Switching to kube-xds's class takes it up; switching away drops it and its status.
  h.store.applyGateway(gateway('edge', { className: 'ours' }));
  assert.equal(h.store.gateways().size, 1);
  assert.equal(h.store.routeStatuses().has('GRPCRoute/default/echo'), true);
  assert.equal(keys(h.store.applyGateway(gateway('edge', { className: 'theirs' }))), [gatewayChangeKey('default/edge')]);
  assert.equal([h.store.gateways().size, h.store.routeStatuses().has('GRPCRoute/default/echo'), h.gatewayStatuses.get('default/edge')], [0, false, undefined]);
  h.done();
});

test('the more specific hostname first: the rules of a wildcard Route follow those of an exact one in its virtual host', () => {
  const h = harness();
  h.store.applyService(service('echo'));
  h.store.applyGateway(gateway('edge'));
  h.store.applyRoute('HTTPRoute', httpRoute('wide', { parentRefs: [gatewayParent('edge')], hostnames: ['*.example.com'], rules: [{ backendRefs: [backend('echo', 50051)] }] }));
  h.store.applyRoute('HTTPRoute', httpRoute('narrow', { parentRefs: [gatewayParent('edge')], hostnames: ['a.example.com'], rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [backend('echo', 50051)] }] }));
  assert.equal(summary(h.store.gateways().get('default/edge')), [
    'http:80 a.example.com: HTTPRoute/narrow 0 -> echo:50051*1 | HTTPRoute/wide 0 -> echo:50051*1',
    'http:80 *.example.com: HTTPRoute/wide 0 -> echo:50051*1',
  ]);
  h.done();
});

test('incremental: a gateway Route changes only its Gateway; a backend Service appearing re-resolves only the Gateways that name it', () => {
  const h = harness();
  h.store.applyService(service('other'));
  h.store.applyGateway(gateway('edge'));
  h.store.applyGateway(gateway('unrelated'));
  assert.equal(keys(h.store.applyRoute('GRPCRoute', split('echo'))), [gatewayChangeKey('default/edge')]);
  assert.equal(summary(h.store.gateways().get('default/edge')), ['http:80 *: GRPCRoute/echo 0 -> echo:50051*90!,echo-canary:50051*10!']);
  assert.equal(keys(h.store.applyService(service('echo'))), [gatewayChangeKey('default/edge'), 'default/echo']);
  assert.equal(summary(h.store.gateways().get('default/edge')), ['http:80 *: GRPCRoute/echo 0 -> echo:50051*90,echo-canary:50051*10!']);
  assert.equal(keys(h.store.applyService(service('other', { annotations: { 'kube-xds.io/x': 'y' } }))), ['default/other']);
  assert.equal(keys(h.store.deleteGateway(gateway('edge'))), [gatewayChangeKey('default/edge')]);
  assert.equal(h.store.routeStatuses().has('GRPCRoute/default/echo'), false);
  h.done();
});

test('a backend in another namespace is RefNotPermitted for a Gateway parent (no ReferenceGrant is read): its share fails', () => {
  const h = harness();
  h.store.applyService(service('echo', { namespace: 'shop' }));
  h.store.applyGateway(gateway('edge'));
  h.store.applyRoute('GRPCRoute', grpcRoute('cross', { parentRefs: [gatewayParent('edge')], rules: [{ backendRefs: [backend('echo', 50051, { namespace: 'shop' })] }] }));
  assert.equal(parentConditions(h.store.routeStatuses().get('GRPCRoute/default/cross')), { Accepted: 'True Accepted', ResolvedRefs: 'False RefNotPermitted' });
  assert.equal(summary(h.store.gateways().get('default/edge')), ['http:80 *: GRPCRoute/cross 0 -> echo:50051*1!']);
  h.done();
});

test('manifests: a Gateway is read from a file (namespace defaulted), a malformed one rejected naming its place and field', () => {
  const parsed = parseManifest(
    ['apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata: { name: edge }', 'spec: { gatewayClassName: kube-xds, listeners: [{ name: http, port: 80, protocol: HTTP }] }', '---',
      'apiVersion: gateway.networking.k8s.io/v1', 'kind: Gateway', 'metadata: { name: broken }', 'spec: { gatewayClassName: kube-xds, listeners: [{ name: http, port: 0, protocol: HTTP }] }'].join('\n'),
    'edge.yaml',
  );
  assert.equal(parsed.objects.map((object) => object.key), ['Gateway/default/edge']);
  assert.match(parsed.rejected[0]!.error.message, /edge\.yaml document 2.*spec\.listeners\[0\]\.port/);
});

test.run();
