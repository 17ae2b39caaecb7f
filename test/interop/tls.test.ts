// The TLS xDS port with real peers, each from the bootstrap kube-xds writes for it: Envoy 1.40
// as gateway and sidecar, grpc-go and gRPC C-core (PyPI grpcio) proxyless (gRFC A65 `tls`
// channel credentials), over TLS and over mutual TLS with allowed SANs, calling real Go
// backends. Two control planes run as users run them (the CLI, on one fake API server): one
// with a TLS port beside its plaintext one, one with mutual TLS only (`--xds-address off`),
// its files in a folder laid out and updated as a mounted Secret.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { freePort } from '../../bin/demo/free-port.ts';
import { Cluster, podAddresses, podNames, type Pod, type ServicePort } from '../e2e/support.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { TestEnvoy } from '../support/envoy.ts';
import { PeerBackends, PeerClient, type ClientName } from '../support/peers.ts';
import { SecretVolume, TestPki, type Issued } from '../support/test-pki.ts';
import { waitFor } from '../support/wait.ts';

const spiffe = (account: string) => `spiffe://cluster.local/ns/demo/sa/${account}`;
const proxylessSan = 'proxyless.demo';

interface World {
  dir: string;
  pki: TestPki;
  ca: string;
  server: Issued;
  rotated: Issued;
  clients: Record<'gateway' | 'sidecar' | 'proxyless' | 'intruder', Issued>;
  mtlsFiles: SecretVolume;
  backends: PeerBackends;
  pods: Pod[];
  echo: ServicePort;
  cluster: Cluster;
  /** TLS with the server's certificate only, beside plaintext. */
  tls: { controlPlane: CliControlPlane; address: string; gatewayPort: number };
  /** Mutual TLS with allowed SANs, and no plaintext port. */
  mtls: { controlPlane: CliControlPlane; address: string; gatewayPort: number };
  running: { stop(): Promise<unknown> | void }[];
}

const test = suite<World>('TLS xDS port, real peers', {} as World);

test.before(async (world) => {
  world.dir = await mkdtemp(join(tmpdir(), 'kube-xds-tls-peers-'));
  world.running = [];
  const pki = (world.pki = new TestPki(join(world.dir, 'pki')));
  world.ca = pki.ca('ca');
  const serverSans = ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kube-xds.kube-xds.svc'];
  world.server = pki.issue('server', { sans: serverSans });
  world.rotated = pki.issue('server-rotated', { sans: serverSans });
  world.clients = {
    gateway: pki.issue('gateway', { sans: [`URI:${spiffe('gateway')}`], usage: 'client' }),
    sidecar: pki.issue('sidecar', { sans: [`URI:${spiffe('sidecar')}`], usage: 'client' }),
    proxyless: pki.issue('proxyless', { sans: [`DNS:${proxylessSan}`], usage: 'client' }),
    intruder: pki.issue('intruder', { sans: [`URI:${spiffe('intruder')}`], usage: 'client' }),
  };
  world.mtlsFiles = new SecretVolume(join(world.dir, 'mtls-secret'));
  world.mtlsFiles.write({ 'tls.crt': world.server.cert, 'tls.key': world.server.key, 'ca.crt': world.ca });

  const grpcPort = await freePort(podAddresses[0]);
  world.backends = await PeerBackends.start({ grpc: podAddresses.slice(0, 3).map((address, i) => `${podNames[i]}=${address}:${grpcPort}`) });
  world.pods = [...world.backends.listeners].sort((a, b) => a.name.localeCompare(b.name));
  // A free loopback port: the sidecar binds 127.0.0.1 on the Service port.
  world.echo = { name: 'grpc', port: await freePort(), appProtocol: 'grpc' };
  world.cluster = await Cluster.start({ pods: world.pods, port: world.echo });
  world.cluster.setPods(['ready', 'ready']);

  const start = async (args: string[]) => {
    const tlsPort = await freePort('127.0.0.1');
    const gatewayPort = await freePort();
    const controlPlane = await CliControlPlane.start([...world.cluster.serveArgs(), '--gateway-port', String(gatewayPort), '--xds-tls-address', `127.0.0.1:${tlsPort}`, ...args]);
    return { controlPlane, address: `127.0.0.1:${tlsPort}`, gatewayPort };
  };
  world.tls = await start(['--tls-cert-file', world.server.cert, '--tls-key-file', world.server.key]);
  world.mtls = await start([
    '--xds-address', 'off',
    '--tls-cert-file', world.mtlsFiles.path('tls.crt'), '--tls-key-file', world.mtlsFiles.path('tls.key'), '--tls-client-ca-file', world.mtlsFiles.path('ca.crt'),
    '--tls-allowed-san', spiffe('gateway'), '--tls-allowed-san', spiffe('sidecar'), '--tls-allowed-san', proxylessSan,
  ]);
});

test.after(async (world) => {
  await world.tls?.controlPlane.stop();
  await world.mtls?.controlPlane.stop();
  await world.cluster?.stop();
  await world.backends?.stop();
  await rm(world.dir, { recursive: true, force: true });
});

test.after.each(async (world) => {
  for (const part of world.running.splice(0)) await part.stop();
});

const authority = (world: World) => `echo.demo.svc.cluster.local:${world.echo.port}`;

/** The bootstrap flags of TLS to the control plane, and of mutual TLS with `client`'s certificate. */
function tlsArgs(world: World, client?: Issued): string[] {
  return ['--tls-ca-file', world.ca, ...(client ? ['--tls-cert-file', client.cert, '--tls-key-file', client.key] : [])];
}

async function startEnvoy(world: World, role: 'gateway' | 'sidecar', xdsAddress: string, bootstrapArgs: string[]): Promise<TestEnvoy> {
  const envoy = await TestEnvoy.start({ role, xdsAddress, nodeId: `tls-${role}`, bootstrapArgs });
  world.running.push(envoy);
  return envoy;
}

/** A plain grpc-js client through an Envoy: the gateway's port, or the sidecar's listener on the Service port. */
function clientThrough(world: World, role: 'gateway' | 'sidecar', gatewayPort: number): PeerClient {
  const port = role === 'gateway' ? gatewayPort : world.echo.port;
  const client = PeerClient.start('grpc-js', { target: `127.0.0.1:${port}`, authority: authority(world), rate: 50 });
  world.running.push({ stop: () => client.kill() });
  return client;
}

async function proxyless(world: World, name: ClientName, nodeId: string, xdsAddress: string, bootstrapArgs: string[], deadlineMs?: number): Promise<PeerClient> {
  const bootstrap = join(world.dir, `${nodeId}.json`);
  await writeFile(bootstrap, bootstrapText(['grpc', '--xds-address', xdsAddress, '--node-id', nodeId, ...bootstrapArgs]));
  const client = PeerClient.start(name, { target: `xds:///${authority(world)}`, bootstrap, rate: 50, ...(deadlineMs && { deadlineMs }) });
  world.running.push({ stop: () => client.kill() });
  return client;
}

/** How many TLS handshakes Envoy's xds_cluster made, and whether its ADS stream is up. */
async function xdsConnection(envoy: TestEnvoy): Promise<{ handshakes: number; connected: number }> {
  const stats = await envoy.stats();
  return { handshakes: stats.get('cluster.xds_cluster.ssl.handshake') ?? 0, connected: stats.get('control_plane.connected_state') ?? 0 };
}

/** The serial of the certificate a new connection to the mutual-TLS port is shown. */
function servedSerial(world: World): Promise<string> {
  const [host, port] = world.mtls.address.split(':') as [string, string];
  const client = world.clients.proxyless;
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port: Number(port), servername: 'localhost', ca: readFileSync(world.ca), cert: readFileSync(client.cert), key: readFileSync(client.key), ALPNProtocols: ['h2'] });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

async function noNacks(controlPlane: CliControlPlane): Promise<void> {
  assert.is(await controlPlane.nacks(), 0, (await controlPlane.nackMessages()).join('; '));
}

test('Envoy gateway and sidecar over TLS: configured from the TLS port, their calls reach the pods', async (world) => {
  world.cluster.setPods(['ready', 'ready']);
  const { address, gatewayPort, controlPlane } = world.tls;
  // The gateway checks the certificate for a DNS name (and sends it as SNI), the sidecar for the IP it dials.
  const gateway = await startEnvoy(world, 'gateway', address, [...tlsArgs(world), '--tls-server-name', 'localhost']);
  const sidecar = await startEnvoy(world, 'sidecar', address, tlsArgs(world));
  for (const [role, envoy] of [['gateway', gateway], ['sidecar', sidecar]] as const) {
    const client = clientThrough(world, role, gatewayPort);
    await client.waitToReach(['pod-1', 'pod-2']);
    const connection = await xdsConnection(envoy);
    assert.ok(connection.handshakes >= 1 && connection.connected === 1, `${role}: ADS over TLS, ${JSON.stringify(connection)}`);
    assert.equal(await envoy.rejectedUpdates(), [], `${role} rejected no update`);
  }
  await noNacks(controlPlane);
});

test('Envoy gateway and sidecar over mutual TLS; a server certificate rotated meanwhile keeps their streams, which get the next push', async (world) => {
  world.cluster.setPods(['ready', 'ready']);
  const { address, gatewayPort, controlPlane } = world.mtls;
  const envoys = {
    gateway: await startEnvoy(world, 'gateway', address, tlsArgs(world, world.clients.gateway)),
    sidecar: await startEnvoy(world, 'sidecar', address, tlsArgs(world, world.clients.sidecar)),
  };
  const clients = { gateway: clientThrough(world, 'gateway', gatewayPort), sidecar: clientThrough(world, 'sidecar', gatewayPort) };
  for (const client of Object.values(clients)) await client.waitToReach(['pod-1', 'pod-2']);
  const before = { gateway: await xdsConnection(envoys.gateway), sidecar: await xdsConnection(envoys.sidecar) };

  assert.is(await servedSerial(world), world.server.serial);
  world.mtlsFiles.write({ 'tls.crt': world.rotated.cert, 'tls.key': world.rotated.key, 'ca.crt': world.ca });
  await waitFor('new connections to be shown the rotated certificate', async () => (await servedSerial(world)) === world.rotated.serial);
  const marks = { gateway: clients.gateway.mark, sidecar: clients.sidecar.mark };
  world.cluster.setPods(['ready', 'ready', 'ready']);
  for (const role of ['gateway', 'sidecar'] as const) {
    await clients[role].waitToReach(['pod-3'], marks[role]);
    assert.equal(await xdsConnection(envoys[role]), before[role], `${role}: the same ADS connection, not a new handshake`);
    assert.equal(await envoys[role].rejectedUpdates(), [], `${role} rejected no update`);
  }
  for (const client of Object.values(clients)) assert.equal(client.failures, [], client.describeFailures());
  await noNacks(controlPlane);
  // Back to the first certificate for the tests that follow.
  world.mtlsFiles.write({ 'tls.crt': world.server.cert, 'tls.key': world.server.key, 'ca.crt': world.ca });
  await waitFor('the first certificate to serve again', async () => (await servedSerial(world)) === world.server.serial);
});

test('grpc-go and C-core proxyless over TLS and over mutual TLS (gRFC A65 bootstrap): configured, calls reach the pods', async (world) => {
  world.cluster.setPods(['ready', 'ready']);
  const clients: PeerClient[] = [];
  for (const name of ['grpc-go', 'c-core'] as const) {
    clients.push(await proxyless(world, name, `${name}-tls`, world.tls.address, tlsArgs(world)));
    clients.push(await proxyless(world, name, `${name}-mtls`, world.mtls.address, tlsArgs(world, world.clients.proxyless)));
  }
  await Promise.all(clients.map((client) => client.waitToReach(['pod-1', 'pod-2'])));
  for (const client of clients) {
    const summary = await client.stop();
    assert.equal(summary.failures, {}, `${client.name}: ${client.describeFailures()}`);
  }
  await noNacks(world.tls.controlPlane);
  await noNacks(world.mtls.controlPlane);
});

test('on the mutual-TLS port, a client without a certificate gets no configuration, and one without an allowed SAN is denied', async (world) => {
  world.cluster.setPods(['ready', 'ready']);
  const noCertificate = await proxyless(world, 'grpc-go', 'grpc-go-no-cert', world.mtls.address, tlsArgs(world), 500);
  const intruder = await proxyless(world, 'grpc-go', 'grpc-go-intruder', world.mtls.address, tlsArgs(world, world.clients.intruder), 500);
  // A call fails fast once the client has heard from its xDS stream; earlier ones wait for it.
  const told = (client: PeerClient, what: string, pattern: RegExp) =>
    waitFor(`${client.name} to be told ${what}`, () => client.failures.some((failure) => pattern.test(failure.details))).catch((error) => {
      throw new Error(`${(error as Error).message}: ${client.describeFailures()}, the last: ${client.failures.at(-1)?.details}`);
    });
  await told(noCertificate, 'the TLS handshake wants a certificate', /certificate required/);
  await told(intruder, 'its SAN is not allowed', new RegExp(`PermissionDenied.*SAN URI:${spiffe('intruder').replaceAll('/', '\\/')}\\) is not allowed`));
  for (const client of [noCertificate, intruder]) assert.equal(client.calls, [], `${client.name} made no successful call`);
  const streams = await world.mtls.controlPlane.streams();
  assert.not.ok(streams.some((stream) => stream.nodeId === 'grpc-go-no-cert' || stream.nodeId === 'grpc-go-intruder'), 'neither opened an ADS stream');
});

test.run();
