// ADS conversations as an Envoy gateway and as an Envoy sidecar: what Envoy would hold is
// valid and consistent (every EDS named by a cluster, every RDS named by a listener, every
// routed cluster present), and it follows a scale-up and a new Service.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { parseFlags } from '../../bin/flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../../bin/serve.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import { checkResourceSet } from '../support/envoy-check/index.ts';
import { EnvoySim } from '../support/envoy-sim.ts';
import { envoyValidatesResources } from '../support/envoy-validate.ts';
import { envoyNode, RawAdsClient } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';

function service(name: string, ports: object[]): object {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec: { ports } };
}

function slice(serviceName: string, ports: object[], addresses: string[]): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${serviceName}-1`, namespace: 'shop', labels: { 'kubernetes.io/service-name': serviceName } },
    addressType: 'IPv4',
    ports,
    endpoints: addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
  };
}

const grpcPort = [{ name: 'grpc', port: 50051, appProtocol: 'grpc' }];
const webPorts = [{ name: 'http', port: 80 }, { name: 'admin', port: 9000 }];
const webSlicePorts = [{ name: 'http', port: 8080 }, { name: 'admin', port: 9000 }];

async function writeManifests(dir: string, file: string, objects: object[]): Promise<void> {
  await writeFile(join(dir, file), objects.map((object) => stringify(object)).join('---\n'));
}

interface Context { dir: string; controlPlane: ControlPlane; xds: string }
const test = suite<Context>('envoy conversations', {} as Context);

test.before.each(async (context) => {
  context.dir = await mkdtemp(join(tmpdir(), 'kube-xds-envoy-'));
  await writeManifests(context.dir, 'cart.yaml', [service('cart', grpcPort), slice('cart', [{ name: 'grpc', port: 50051 }], ['10.1.0.1'])]);
  await writeManifests(context.dir, 'web.yaml', [service('web', webPorts), slice('web', webSlicePorts, ['10.2.0.1', '10.2.0.2'])]);
  const flags = ['--source', `file:${context.dir}`, '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--coalesce-window', '1ms'];
  context.controlPlane = new ControlPlane(serveConfig(parseFlags(serveFlags, flags, {})));
  const { ports, synced } = await context.controlPlane.start();
  await synced;
  context.xds = `127.0.0.1:${ports.xds}`;
});

test.after.each(async ({ controlPlane, dir }) => {
  await controlPlane.stop();
  await rm(dir, { recursive: true, force: true });
});

function endpointsOf(sim: EnvoySim, cluster: string): string[] {
  const bytes = sim.held.get(TypeUrl.Endpoint)!.get(cluster);
  if (!bytes) return [];
  const assignment = envoy.config.endpoint.v3.ClusterLoadAssignment.decode(bytes);
  return assignment.endpoints.flatMap((locality) => (locality.lb_endpoints ?? []).map((e) => e.endpoint?.address?.socket_address?.address ?? '')).sort();
}

/** Waits until the sim holds a consistent set in which `done` is true, then checks it strictly, and on Envoy. */
async function settled(sim: EnvoySim, role: 'gateway' | 'sidecar', description: string, done: () => boolean): Promise<void> {
  await waitFor(description, () => done() && checkResourceSet(sim.resourceSet()).length === 0);
  assert.equal(checkResourceSet(sim.resourceSet()), []);
  assert.equal(await envoyValidatesResources(sim.resourceSet(), role), { ok: true, message: '' });
}

for (const role of ['gateway', 'sidecar'] as const) {
  test(`an Envoy ${role} receives a valid, consistent set that follows a scale-up and a new Service`, async ({ dir, xds }) => {
    const sim = new EnvoySim(new RawAdsClient(xds, envoyNode(`${role}-1`, role)));
    try {
      const cart = 'outbound|50051||cart.shop.svc.cluster.local';
      const web = 'outbound|80||web.shop.svc.cluster.local';
      await settled(sim, role, 'the first full set', () => endpointsOf(sim, cart).length === 1 && endpointsOf(sim, web).length === 2);
      assert.ok(sim.names(TypeUrl.Listener).length > 0);
      assert.ok(sim.names(TypeUrl.Route).length > 0);
      assert.equal(sim.names(TypeUrl.Cluster), sim.names(TypeUrl.Endpoint));

      await writeManifests(dir, 'cart.yaml', [service('cart', grpcPort), slice('cart', [{ name: 'grpc', port: 50051 }], ['10.1.0.1', '10.1.0.2', '10.1.0.3'])]);
      await settled(sim, role, 'the scale-up', () => endpointsOf(sim, cart).length === 3);
      assert.equal(endpointsOf(sim, cart), ['10.1.0.1', '10.1.0.2', '10.1.0.3']);

      await writeManifests(dir, 'pay.yaml', [service('pay', grpcPort), slice('pay', [{ name: 'grpc', port: 50051 }], ['10.3.0.1'])]);
      const pay = 'outbound|50051||pay.shop.svc.cluster.local';
      await settled(sim, role, 'the new Service', () => endpointsOf(sim, pay).length === 1);
      const routes = sim.resourceSet().routes.map((bytes) => envoy.config.route.v3.RouteConfiguration.decode(bytes));
      const domains = routes.flatMap((route) => route.virtual_hosts.flatMap((host) => host.domains));
      assert.ok(domains.includes('pay.shop'), 'the new Service is routable by name');
      assert.is(sim.responses.filter((r) => r.type === TypeUrl.Cluster && r.names.length === 0).length, 0, 'never an empty CDS');
    } finally {
      await sim.stop();
    }
  });
}

test.run();
