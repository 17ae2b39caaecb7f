// Routes from a folder, as users run `kube-xds serve --source file:DIR`: a GRPCRoute is served
// to clients, every Route's status is in the log (files have nowhere to write it) and in
// /debug/model, and `kube-xds status` lists the conditions that are not all True.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import type { ModelView } from '../../ops/debug-views.ts';
import { backend, endpoint, grpcRoute, httpRoute, service, serviceParent, slice } from '../k8s/fixtures.ts';
import { yaml } from '../k8s/folder-harness.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { grpcNode, RawAdsClient } from '../support/raw-ads-client.ts';
import { cli } from './run-cli.ts';

const inDemo = { namespace: 'demo' };
const echoSplit = grpcRoute('echo-split', { ...inDemo, parentRefs: [serviceParent('echo')], rules: [{ backendRefs: [backend('echo', 50051, { weight: 90 }), backend('echo-canary', 50051, { weight: 10 })] }] });
const toNowhere = grpcRoute('canary-to-nowhere', { ...inDemo, parentRefs: [serviceParent('echo-canary')], rules: [{ backendRefs: [backend('nowhere', 50051)] }] });
const webVersions = httpRoute('web-versions', {
  ...inDemo,
  parentRefs: [serviceParent('web', { port: 8080 })],
  rules: [
    { matches: [{ queryParams: [{ name: 'version', value: '2' }] }], backendRefs: [backend('web', 8080)] },
    { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [backend('web', 8080)] },
  ],
});

let dir: string;
let controlPlane: CliControlPlane;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-xds-routes-'));
  const services = [service('echo', inDemo), service('echo-canary', inDemo), service('web', { ...inDemo, ports: [{ name: 'http', port: 8080 }] })];
  const slices = ['echo', 'echo-canary'].map((name, i) => slice(`${name}-1`, { ...inDemo, service: name, endpoints: [endpoint(`10.0.0.${i + 1}`, { conditions: { ready: true } })] }));
  await writeFile(join(dir, 'services.yaml'), yaml(...services, ...slices));
  await writeFile(join(dir, 'routes.yaml'), yaml(echoSplit, toNowhere, webVersions));
  controlPlane = await CliControlPlane.start(['--source', `file:${dir}`, '--log-level', 'info']);
});

test.after(async () => {
  await controlPlane?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a GRPCRoute in the folder is served: the proxyless RouteConfiguration of echo splits 90/10', async () => {
  const client = new RawAdsClient(controlPlane.xdsAddress, grpcNode('routes-test'));
  try {
    client.request(TypeUrl.Route, ['echo.demo.svc.cluster.local:50051']);
    const response = await client.nextOf(TypeUrl.Route);
    const routes = envoy.config.route.v3.RouteConfiguration.decode(response.resources[0]!.value!).virtual_hosts[0]!.routes!;
    const split = routes.find((route) => route.name === 'GRPCRoute/demo/echo-split/rule/0/match/0');
    assert.ok(split, `served: ${routes.map((route) => route.name).join(', ')}`);
    assert.equal(split!.route!.weighted_clusters!.clusters!.map((cluster) => `${cluster.name}=${Number(cluster.weight?.value)}`), [
      'outbound|50051||echo.demo.svc.cluster.local=90',
      'outbound|50051||echo-canary.demo.svc.cluster.local=10',
    ]);
  } finally {
    client.close();
  }
});

test("every Route's conditions are in the log and in /debug/model", async () => {
  const logged = controlPlane.logged().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  const statusLine = (route: string) => logged.find((line) => line.msg === 'Route status' && line.route === route) as { parents: { conditions: { type: string; status: string; reason: string }[] }[] } | undefined;
  const conditionsOf = (route: string) => statusLine(route)?.parents[0]?.conditions.map((c) => `${c.type} ${c.status} ${c.reason}`);
  assert.equal(conditionsOf('GRPCRoute/demo/echo-split'), ['Accepted True Accepted', 'ResolvedRefs True ResolvedRefs']);
  assert.equal(conditionsOf('GRPCRoute/demo/canary-to-nowhere'), ['Accepted True Accepted', 'ResolvedRefs False BackendNotFound']);
  assert.equal(conditionsOf('HTTPRoute/demo/web-versions'), ['Accepted True Accepted', 'ResolvedRefs True ResolvedRefs', 'PartiallyInvalid True UnsupportedValue']);

  const model = await controlPlane.debugView<ModelView>('/debug/model');
  assert.equal(model.routes.map((route) => `${route.kind}/${route.namespace}/${route.name}`), ['GRPCRoute/demo/canary-to-nowhere', 'GRPCRoute/demo/echo-split', 'HTTPRoute/demo/web-versions']);
  const split = model.routes.find((route) => route.name === 'echo-split')!;
  assert.equal(split.parents[0]!.conditions.map((c) => `${c.type} ${c.status}`), ['Accepted True', 'ResolvedRefs True']);
  assert.equal(model.source.routes, { total: 3, withProblems: 2 });
  const echo = model.services.find((one) => one.name === 'echo');
  assert.equal(echo?.routes?.[0]?.backends.map((b) => `${b.name}=${b.weight}`), ['echo=90', 'echo-canary=10']);
});

test('kube-xds status lists the Route conditions that are not all True, below the clients', async () => {
  const adminAddress = new URL(controlPlane.adminUrl).host;
  const { code, stdout, stderr } = await cli(['status', '--admin-address', adminAddress]);
  assert.is(code, 0, stderr);
  const [clients, ...routes] = stdout.split('\n\n');
  assert.is(clients, `no clients are connected to the kube-xds at ${adminAddress}`);
  const lines = routes.join('\n\n').trimEnd().split('\n');
  assert.is(lines[0], 'Routes not wholly applied (2 of 3):');
  assert.is(lines.length, 3, stdout);
  assert.is(lines[1], '  GRPCRoute demo/canary-to-nowhere on Service demo/echo-canary: ResolvedRefs False (BackendNotFound): Service demo/nowhere does not exist');
  assert.match(lines[2]!, /^ {2}HTTPRoute demo\/web-versions on Service demo\/web:8080: PartiallyInvalid True \(UnsupportedValue\): Dropped Rule\(s\): rule 0 is not served to proxyless gRPC clients: gRPC requests carry no query string/);
  // JSON stays the /debug/clients answer.
  assert.is((await cli(['status', '--admin-address', adminAddress, '--output', 'json'])).stdout, '[]\n');
});

test.run();
