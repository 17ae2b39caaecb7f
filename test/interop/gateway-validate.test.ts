// Envoy's own validator (the pinned Envoy) on the gateway role's resources with Gateways of
// kube-xds's class: listeners on the shared gateway port and on ports of their own, exact,
// wildcard and catch-all hostnames, a Gateway hostname that is also a Service's domain, two
// Gateways claiming one hostname on one port (hosts left with no domain are left out), and
// entries exercising every match and policy mapping (the routed model's, reused).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildResourceSet, envoyConfigOptions } from '../../envoy-config/index.ts';
import type { GatewayModel } from '../../k8s/gateway-model.ts';
import { encodeSet } from '../envoy-config/support/readable.ts';
import { echoRoutes, routedModel } from '../envoy-config/support/routed-model.ts';
import { envoyValidatesResources } from '../support/envoy-validate.ts';

const passes = { ok: true, message: '' };
// Gateway entries carry no Service port. A share with no backend names a cluster that never
// exists (Envoy answers 503): Envoy checks clusters of a static RouteConfiguration, as the
// validator makes them, not of one from RDS, so such entries are left out here.
const entries = echoRoutes
  .filter((entry) => entry.backends.every((backend) => backend.resolved) && entry.backends.some((backend) => backend.weight > 0))
  .map(({ port: _port, ...entry }) => entry);

const gateways: GatewayModel[] = [
  {
    namespace: 'demo',
    name: 'edge',
    listeners: [
      { name: 'shared', port: 8080, virtualHosts: [{ hostname: 'echo.demo', routes: entries }, { hostname: '*.example.com', routes: entries }] },
      { name: 'own', port: 9090, virtualHosts: [{ hostname: 'echo.example.com', routes: entries }, { hostname: '*', routes: [] }] },
    ],
  },
  { namespace: 'other', name: 'edge', listeners: [{ name: 'own', port: 9090, virtualHosts: [{ hostname: 'web.example.com', routes: entries }] }] },
  // Claims every hostname demo/edge has on 9090: those hosts lose every domain and are left out.
  { namespace: 'other', name: 'twin', listeners: [{ name: 'own', port: 9090, virtualHosts: [{ hostname: 'echo.example.com', routes: entries }, { hostname: '*', routes: [] }] }] },
];

test('gateway: Gateways beside Services pass Envoy\'s validator (as objects and as bytes, two option variants)', async () => {
  assert.ok(entries.length > 0);
  const built = buildResourceSet(routedModel, 'gateway', envoyConfigOptions(), gateways);
  assert.equal(built.listeners.map((listener) => listener.name).filter((name) => name?.startsWith('gateway_')), ['gateway_8080', 'gateway_9090']);
  const own = built.routes.find((routes) => routes.name === 'gateway_9090')!;
  assert.equal(own.virtual_hosts!.map((host) => [host.name, host.domains]), [['gateway|other/edge|own|web.example.com', ['web.example.com', 'web.example.com:9090']]]);
  const sets = [
    built,
    encodeSet(buildResourceSet(routedModel, 'gateway', envoyConfigOptions({ accessLog: true, gatewayPorts: [8080, 8081], maxStreamDurationMs: 0 }), gateways)),
  ];
  const verdicts = await Promise.all(sets.map((set) => envoyValidatesResources(set, 'gateway')));
  assert.equal(verdicts, sets.map(() => passes));
});

test('gateway: a Gateway route to a cluster that does not exist fails validation, so the check is no no-op', async () => {
  const broken: GatewayModel = { namespace: 'demo', name: 'edge', listeners: [{ name: 'own', port: 9090, virtualHosts: [{ hostname: 'x.example.com', routes: [{ ...entries[0]!, backends: [{ namespace: 'demo', name: 'nowhere', port: 1, weight: 1, resolved: true }] }] }] }] };
  const verdict = await envoyValidatesResources(buildResourceSet(routedModel, 'gateway', envoyConfigOptions(), [broken]), 'gateway');
  assert.equal(verdict.ok, false);
  assert.match(verdict.message, /nowhere/);
});

test.run();
