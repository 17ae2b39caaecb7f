// The proxyless resources and the gRPC bootstrap as real clients take them: grpc-js-xds and
// C-core (Debian's python3-grpcio) dial a Service through the ADS server, spread calls over
// its healthy endpoints, skip the draining one, and ACK every resource.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startEchoBackend, type EchoBackend } from '../../bin/demo/echo.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { buildResourceSet, envoyConfigOptions } from '../../envoy-config/index.ts';

/** Exactly what `kube-xds bootstrap grpc` prints for these flags. */
function cliBootstrap(serverUri: string, nodeId: string, zone?: string) {
  return JSON.parse(bootstrapText(['grpc', '--xds-address', serverUri, '--node-id', nodeId, ...(zone ? ['--zone', zone] : [])]));
}
import type { ServiceModel } from '../../k8s/model.ts';
import { AdsFixture } from '../support/ads-fixture.ts';
import { waitFor } from '../support/wait.ts';
import { tally, xdsEchoClient } from '../support/xds-channel.ts';

const ccoreClient = new URL('../support/ccore_client.py', import.meta.url).pathname;

interface Context {
  ads: AdsFixture;
  backends: EchoBackend[];
  draining: EchoBackend;
  dir: string;
}

const clients = suite<Context>('real clients');

clients.before(async (context) => {
  context.backends = await Promise.all([
    startEchoBackend('zone-a-1', '127.0.0.31'),
    startEchoBackend('zone-b-1', '127.0.0.33'),
    startEchoBackend('zone-b-2', '127.0.0.34'),
  ]);
  context.draining = await startEchoBackend('zone-a-draining', '127.0.0.32');
  const [a1, b1, b2] = context.backends;
  const echo: ServiceModel = {
    namespace: 'demo',
    name: 'echo',
    ipFamily: 'IPv4',
    annotations: {},
    ports: [
      {
        name: 'grpc',
        port: 50051,
        protocol: 'TCP',
        appProtocol: 'grpc',
        endpoints: [
          { address: a1!.address, port: a1!.port, zone: 'zone-a', health: 'HEALTHY' },
          { address: context.draining.address, port: context.draining.port, zone: 'zone-a', health: 'DRAINING' },
          { address: b1!.address, port: b1!.port, zone: 'zone-b', health: 'HEALTHY' },
          { address: b2!.address, port: b2!.port, zone: 'zone-b', health: 'HEALTHY' },
        ],
      },
    ],
  };
  const set = buildResourceSet([echo], 'proxyless', envoyConfigOptions());
  context.ads = await AdsFixture.start();
  context.ads.set({ [TypeUrl.Listener]: set.listeners, [TypeUrl.Route]: set.routes, [TypeUrl.Cluster]: set.clusters, [TypeUrl.Endpoint]: set.endpoints });
  context.dir = mkdtempSync(join(tmpdir(), 'kube-xds-bootstrap-'));
});

clients.after(async ({ ads, backends, draining, dir }) => {
  await ads?.stop();
  await Promise.all([...(backends ?? []), draining].filter(Boolean).map((backend) => backend.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function assertSpreadOverHealthy(counts: ReadonlyMap<string, number>, { backends, draining }: Context): void {
  for (const backend of backends) assert.ok((counts.get(backend.name) ?? 0) > 0, `${backend.name} answered no call: ${JSON.stringify([...counts])}`);
  assert.is(counts.get(draining.name), undefined, 'a DRAINING endpoint gets no calls from gRPC clients');
}

/** Every stream of `nodeId` has ACKed the last version of each type it was sent, and NACKed none. */
async function assertAcked(ads: AdsFixture, nodeId: string): Promise<void> {
  await waitFor(`${nodeId} to ACK every resource type`, () => {
    const streams = ads.server.streams().filter((stream) => stream.nodeId === nodeId);
    return streams.length > 0 && streams.every((stream) => stream.types.length === 4 && stream.types.every((type) => type.ackedVersion === type.lastVersionSent));
  });
  for (const stream of ads.server.streams().filter((candidate) => candidate.nodeId === nodeId)) {
    for (const type of stream.types) assert.is(type.lastNack, undefined, `${type.type} NACKed: ${type.lastNack?.message}`);
  }
}

function writeBootstrap(dir: string, name: string, bootstrap: object): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(bootstrap));
  return path;
}

interface CcoreResult {
  counts: Record<string, number>;
  error?: { code: string; details: string };
}

function runCcoreClient(target: string, bootstrapPath: string, calls: number): Promise<CcoreResult> {
  return new Promise((resolve, reject) =>
    execFile(
      '/usr/bin/python3',
      [ccoreClient, `xds:///${target}`, String(calls)],
      { env: { ...process.env, GRPC_XDS_BOOTSTRAP: bootstrapPath }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').at(-1);
        if (!line) return reject(new Error(`ccore_client.py printed nothing (is python3-grpcio installed?): ${error?.message}\n${stderr}`));
        resolve(JSON.parse(line) as CcoreResult);
      },
    ),
  );
}

// grpc-js cannot dial the port-name aliases (`S.N:grpc`): it opens its HTTP/2 session with
// `http://<target>`, and a non-numeric port is an invalid URL. C-core dials them.
clients('grpc-js-xds takes the bootstrap and the resources, and balances over healthy endpoints', async (context) => {
  const bootstrap = cliBootstrap(context.ads.address, 'grpc-js-client', 'zone-a');
  const client = xdsEchoClient('echo.demo:50051', bootstrap);
  try {
    const { byBackend, failures } = await tally(client, 60);
    assert.is(failures, 0);
    assertSpreadOverHealthy(byBackend, context);
    await assertAcked(context.ads, 'grpc-js-client');
  } finally {
    client.close();
  }
});

clients('grpc-js-xds refuses a bootstrap without node.locality at channel creation', () => {
  const { node, ...rest } = cliBootstrap('127.0.0.1:1', 'broken');
  assert.throws(() => xdsEchoClient('echo.demo:grpc', { ...rest, node: { id: node.id } }), /locality field missing/);
});

clients('C-core takes the bootstrap and the resources, and balances over healthy endpoints, by number and by port name', async (context) => {
  const bootstrap = cliBootstrap(context.ads.address, 'ccore-client', 'zone-b');
  const bootstrapPath = writeBootstrap(context.dir, 'ccore', bootstrap);
  for (const target of ['echo.demo.svc.cluster.local:50051', 'echo.demo:grpc']) {
    const result = await runCcoreClient(target, bootstrapPath, 60);
    assert.is(result.error, undefined, `${target}: ${JSON.stringify(result.error)}`);
    assertSpreadOverHealthy(new Map(Object.entries(result.counts)), context);
  }
});

clients('C-core fails a broken bootstrap with a bootstrap error, and ours with none', async (context) => {
  const good = cliBootstrap('127.0.0.1:1', 'ccore-unreachable');
  const broken = { ...good, xds_servers: [{ ...good.xds_servers[0], channel_creds: [{ type: 'tls' }] }] };
  const [withGood, withBroken] = await Promise.all([
    runCcoreClient('echo.demo:50051', writeBootstrap(context.dir, 'good', good), 1),
    runCcoreClient('echo.demo:50051', writeBootstrap(context.dir, 'broken', broken), 1),
  ]);
  assert.match(withBroken.error?.details ?? '', 'Failed to create XdsClient');
  // Ours gets as far as dialing the (absent) control plane under the bootstrap's node id.
  assert.not.match(withGood.error?.details ?? '', 'Failed to create XdsClient');
  assert.match(withGood.error?.details ?? '', 'node ID:ccore-unreachable');
});

clients.run();
