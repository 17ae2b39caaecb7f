// The TLS xDS listener of a control plane wired from `serve` flags: mutual TLS with allowed
// SANs beside the plaintext port, clients refused at the handshake or per call, and the
// certificate files rotated as a mounted Secret is (a `..data` swap) while a stream is open.
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:tls';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags } from '../../bin/flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../../bin/serve.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';
import { Cluster, grpcPort, target, type Pod } from '../e2e/support.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import { grpcNode, RawAdsClient } from '../support/raw-ads-client.ts';
import { SecretVolume, TestPki, type Issued } from '../support/test-pki.ts';
import { waitFor } from '../support/wait.ts';

const allowedSan = 'spiffe://cluster.local/ns/demo/sa/allowed';
const echoCluster = `outbound|${grpcPort.port}||echo.demo.svc.cluster.local`;
// Nothing listens there: these tests look at xDS only.
const pods: Pod[] = [
  { name: 'pod-1', address: '10.0.0.1', port: 50051 },
  { name: 'pod-2', address: '10.0.0.2', port: 50051 },
];

interface World {
  dir: string;
  pki: TestPki;
  ca: string;
  server: Issued;
  rotated: Issued;
  allowed: Issued;
  otherSan: Issued;
  foreign: Issued;
  volume: SecretVolume;
  cluster: Cluster;
  controlPlane: ControlPlane;
  plainPort: number;
  tlsPort: number;
  log: CapturedLog;
}

const test = suite<World>('TLS xDS listener', {} as World);

test.before(async (world) => {
  world.dir = await mkdtemp(join(tmpdir(), 'kube-xds-tls-'));
  const pki = (world.pki = new TestPki(join(world.dir, 'pki')));
  world.ca = pki.ca('ca');
  pki.ca('other-ca');
  const serverSans = ['DNS:localhost', 'IP:127.0.0.1', 'DNS:kube-xds.kube-xds.svc'];
  world.server = pki.issue('server', { sans: serverSans });
  world.rotated = pki.issue('server-rotated', { sans: serverSans });
  world.allowed = pki.issue('allowed', { sans: [`URI:${allowedSan}`], usage: 'client' });
  world.otherSan = pki.issue('other', { sans: ['URI:spiffe://cluster.local/ns/demo/sa/other', 'DNS:other.demo'], usage: 'client' });
  world.foreign = pki.issue('foreign', { sans: [`URI:${allowedSan}`], usage: 'client', ca: 'other-ca' });
  world.volume = new SecretVolume(join(world.dir, 'secret'));
  world.volume.write({ 'tls.crt': world.server.cert, 'tls.key': world.server.key, 'ca.crt': world.ca });

  world.cluster = await Cluster.start({ pods });
  world.cluster.setPods(['ready']);
  world.log = captureLog();
  const flags = [
    ...world.cluster.serveArgs(),
    '--xds-address', '127.0.0.1:0', '--xds-tls-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0',
    '--tls-cert-file', world.volume.path('tls.crt'), '--tls-key-file', world.volume.path('tls.key'), '--tls-client-ca-file', world.volume.path('ca.crt'),
    '--tls-allowed-san', allowedSan, '--tls-allowed-san', 'gateway.demo',
  ];
  world.controlPlane = new ControlPlane(serveConfig(parseFlags(serveFlags, flags, {})));
  const { ports, synced } = await world.controlPlane.start();
  await synced;
  world.plainPort = ports.xds!;
  world.tlsPort = ports.xdsTls!;
});

test.after(async ({ controlPlane, cluster, log, dir }) => {
  await controlPlane?.stop();
  await cluster?.stop();
  log?.restore();
  await rm(dir, { recursive: true, force: true });
});

const read = (file: string) => readFileSync(file);

// Node refuses an IP address as the TLS server name (SNI), which grpc-js would send for 127.0.0.1.
const channelOptions = { 'grpc.ssl_target_name_override': 'localhost' };

function tlsCredentials(world: World, client?: Issued, ca = world.ca): grpc.ChannelCredentials {
  return client ? grpc.credentials.createSsl(read(ca), read(client.key), read(client.cert)) : grpc.credentials.createSsl(read(ca));
}

/** A raw ADS client on the TLS port, subscribed to the echo listener. */
function tlsClient(world: World, client: Issued | undefined, nodeId: string): RawAdsClient {
  const ads = new RawAdsClient(`127.0.0.1:${world.tlsPort}`, grpcNode(nodeId), tlsCredentials(world, client), channelOptions);
  ads.request(TypeUrl.Listener, [target]);
  return ads;
}

/**
 * "accepted" once the server speaks HTTP/2 to `client`; else the code of the TLS alert it
 * sent, or "closed" when it hung up without one reaching the client.
 */
function handshakeOutcome(world: World, client?: Issued): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: world.tlsPort, servername: 'localhost', ca: read(world.ca), ...(client && { cert: read(client.cert), key: read(client.key) }), ALPNProtocols: ['h2'] });
    socket.once('data', () => {
      resolve('accepted'); // the server's HTTP/2 SETTINGS
      socket.destroy();
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    socket.once('close', () => resolve('closed'));
  });
}

/** The serial number of the certificate a new TLS connection to the port is shown. */
function servedSerial(world: World): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: world.tlsPort, servername: 'localhost', ca: read(world.ca), cert: read(world.allowed.cert), key: read(world.allowed.key), ALPNProtocols: ['h2'] });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** The status a refused stream ends with; fails when the stream gets a response instead. */
async function refusal(ads: RawAdsClient): Promise<grpc.StatusObject> {
  const answered = ads.next().then(
    (response) => `it was answered: ${response.type}`,
    () => ads.ended, // no response can come: the stream ended
  );
  const outcome = await Promise.race([ads.ended, answered]);
  ads.close();
  if (typeof outcome === 'string') throw new Error(outcome);
  return outcome;
}

test('mutual TLS: a client with an allowed SAN gets its configuration; the plaintext port serves beside it', async (world) => {
  for (const [name, ads] of [
    ['allowed URI SAN', tlsClient(world, world.allowed, 'tls-allowed')],
    ['plaintext', new RawAdsClient(`127.0.0.1:${world.plainPort}`, grpcNode('plaintext'))],
  ] as const) {
    if (name === 'plaintext') ads.request(TypeUrl.Listener, [target]);
    const response = await ads.nextOf(TypeUrl.Listener);
    assert.equal(response.names, [target], name);
    ads.close();
  }
});

test('a client without a certificate, or with one another CA signed, is refused at the handshake', async (world) => {
  for (const [name, credentials] of [
    ['no certificate', tlsCredentials(world)],
    ['another CA', tlsCredentials(world, world.foreign)],
  ] as const) {
    const ads = new RawAdsClient(`127.0.0.1:${world.tlsPort}`, grpcNode(name), credentials, channelOptions);
    ads.request(TypeUrl.Listener, [target]);
    const status = await refusal(ads);
    assert.is(status.code, grpc.status.UNAVAILABLE, `${name}: ${status.details}`);
  }
  // What the server told each at the TLS layer.
  assert.is(await handshakeOutcome(world), 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  assert.ok(['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'closed'].includes(await handshakeOutcome(world, world.foreign)), 'another CA');
  assert.is(await handshakeOutcome(world, world.allowed), 'accepted');
  const nodes = world.controlPlane.ads.streams().map((stream) => stream.nodeId);
  assert.not.ok(nodes.includes('no certificate') || nodes.includes('another CA'), `no stream was opened: ${nodes.join(', ')}`);
});

test('a certificate the CA signed without an allowed SAN gets PERMISSION_DENIED naming its SANs, on ADS and on CSDS', async (world) => {
  const ads = tlsClient(world, world.otherSan, 'tls-other');
  const status = await refusal(ads);
  assert.is(status.code, grpc.status.PERMISSION_DENIED);
  assert.match(status.details, 'URI:spiffe://cluster.local/ns/demo/sa/other, DNS:other.demo');
  assert.not.ok(world.controlPlane.ads.streams().some((stream) => stream.nodeId === 'tls-other'), 'the stream never reached the ADS server');
  assert.ok(world.log.lines.some((line) => line.msg === 'refused a call: its client certificate has no allowed SAN' && line.presented === 'URI:spiffe://cluster.local/ns/demo/sa/other, DNS:other.demo'));

  const csdsPath = '/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus';
  const fetchStatus = (client: Issued) => {
    const csds = new grpc.Client(`127.0.0.1:${world.tlsPort}`, tlsCredentials(world, client), channelOptions);
    const request = Buffer.from(envoy.service.status.v3.ClientStatusRequest.encode({}).finish());
    return new Promise<grpc.status>((resolve) =>
      csds.makeUnaryRequest(csdsPath, (value: Buffer) => value, (value: Buffer) => value, request, (error) => {
        csds.close();
        resolve(error ? error.code : grpc.status.OK);
      }),
    );
  };
  assert.is(await fetchStatus(world.otherSan), grpc.status.PERMISSION_DENIED, 'CSDS with a SAN not allowed');
  assert.is(await fetchStatus(world.allowed), grpc.status.OK, 'CSDS with an allowed SAN');
});

test('a rotated certificate: new connections get it, and an open stream stays and keeps getting pushes', async (world) => {
  assert.is(await servedSerial(world), world.server.serial);
  const ads = tlsClient(world, world.allowed, 'tls-rotation');
  await ads.nextOf(TypeUrl.Listener);
  ads.request(TypeUrl.Endpoint, [echoCluster]);
  const first = await ads.nextOf(TypeUrl.Endpoint);

  world.volume.write({ 'tls.crt': world.rotated.cert, 'tls.key': world.rotated.key, 'ca.crt': world.ca });
  await waitFor('a new connection to be shown the rotated certificate', async () => (await servedSerial(world)) === world.rotated.serial);

  world.cluster.setPods(['ready', 'ready']);
  const pushed = await ads.nextOf(TypeUrl.Endpoint);
  assert.is.not(pushed.version, first.version, 'the open stream got the endpoint change');
  const fresh = tlsClient(world, world.allowed, 'tls-after-rotation');
  assert.equal((await fresh.nextOf(TypeUrl.Listener)).names, [target], 'a new stream gets its configuration over the new certificate');
  fresh.close();
  ads.close();
});

test('a set of files that cannot serve keeps the last good certificate, with one warning per bad version', async (world) => {
  const current = await servedSerial(world);
  const warnings = () => world.log.lines.filter((line) => line.msg === 'TLS files changed but cannot be used; the previous certificate keeps serving');
  const before = warnings().length;
  // The key of another certificate: a pair that does not match.
  world.volume.write({ 'tls.crt': world.rotated.cert, 'tls.key': world.server.key, 'ca.crt': world.ca });
  await waitFor('the warning for the mismatched pair', () => warnings().length === before + 1);
  assert.match(String(warnings().at(-1)!.reason), 'does not belong to the certificate');
  assert.is(await servedSerial(world), current, 'still the last good certificate');
  // A certificate cut off halfway.
  const half = read(world.server.cert).subarray(0, 200);
  world.volume.write({ 'tls.crt': half, 'tls.key': world.server.key, 'ca.crt': world.ca });
  await waitFor('the warning for the half-written certificate', () => warnings().length === before + 2);
  assert.is(await servedSerial(world), current);

  world.volume.write({ 'tls.crt': world.server.cert, 'tls.key': world.server.key, 'ca.crt': world.ca });
  await waitFor('the good set to serve again', async () => (await servedSerial(world)) === world.server.serial);
  assert.is(warnings().length, before + 2, 'each bad version was logged once');
});

test.run();
