// The parts of the TLS listener on their own: the certificate files as read at start and on
// each reload (the last good set kept, one warning per bad version), and the SANs of client
// certificates as Node reports them.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isAllowed, subjectAltNames } from '../../control-plane/allowed-sans.ts';
import { CertificateFiles } from '../../control-plane/certificate-files.ts';
import { tlsServerCredentials } from '../../control-plane/transport-security.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import { SecretVolume, TestPki, type Issued } from '../support/test-pki.ts';

interface World {
  dir: string;
  ca: string;
  first: Issued;
  second: Issued;
  client: Issued;
  volume: SecretVolume;
  log: CapturedLog;
}

const test = suite<World>('TLS files and SANs', {} as World);

test.before(async (world) => {
  world.dir = await mkdtemp(join(tmpdir(), 'kube-xds-tls-files-'));
  const pki = new TestPki(join(world.dir, 'pki'));
  world.ca = pki.ca('ca');
  world.first = pki.issue('first', { sans: ['DNS:localhost'] });
  world.second = pki.issue('second', { sans: ['DNS:localhost'] });
  world.client = pki.issue('client', { sans: ['URI:spiffe://cluster.local/ns/demo/sa/app', 'DNS:App.Demo', 'IP:10.0.0.1'], usage: 'client' });
  world.volume = new SecretVolume(join(world.dir, 'secret'));
  world.log = captureLog();
});

test.after(async ({ dir, log }) => {
  log?.restore();
  await rm(dir, { recursive: true, force: true });
});

const paths = (world: World) => ({ certFile: world.volume.path('tls.crt'), keyFile: world.volume.path('tls.key'), clientCaFile: world.volume.path('ca.crt') });
const warnings = (world: World) => world.log.lines.filter((line) => line.level === 'warn' && line.msg === 'TLS files changed but cannot be used; the previous certificate keeps serving');

test('files that cannot serve stop the start, naming the file at fault', (world) => {
  const bad = (files: Record<string, string | Buffer>, pattern: RegExp) => {
    world.volume.write(files);
    assert.throws(() => new CertificateFiles(paths(world)), pattern);
  };
  bad({ 'tls.crt': world.first.cert, 'tls.key': world.second.key, 'ca.crt': world.ca }, /the private key in .*tls\.key does not belong to the certificate in .*tls\.crt/);
  bad({ 'tls.crt': Buffer.from('not a certificate'), 'tls.key': world.first.key, 'ca.crt': world.ca }, /the certificate file .*tls\.crt holds no PEM certificate/);
  bad({ 'tls.crt': world.first.cert, 'tls.key': Buffer.from('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n'), 'ca.crt': world.ca }, /the private key file .*tls\.key holds no usable PEM private key/);
  bad({ 'tls.crt': world.first.cert, 'tls.key': world.first.key, 'ca.crt': Buffer.from('') }, /the client CA file .*ca\.crt holds no PEM certificate/);
  assert.throws(() => tlsServerCredentials({ certFile: world.first.cert, keyFile: world.first.key, allowedSans: ['a.demo'] }), /allowed SANs need a client CA/);
});

test('a reload takes a good new set, keeps the last good one otherwise, and warns once per bad version', async (world) => {
  world.volume.write({ 'tls.crt': world.first.cert, 'tls.key': world.first.key, 'ca.crt': world.ca });
  const files = new CertificateFiles(paths(world));
  try {
    assert.is(files.current().certificate.serialNumber, world.first.serial);
    const before = warnings(world).length;
    world.volume.write({ 'tls.crt': world.second.cert, 'tls.key': world.first.key, 'ca.crt': world.ca });
    await files.reload();
    await files.reload();
    assert.is(warnings(world).length, before + 1, 'the same bad version is logged once');
    assert.is(files.current().certificate.serialNumber, world.first.serial, 'the last good set stays');
    assert.match(String(warnings(world).at(-1)!.reason), 'does not belong to the certificate');
    assert.equal((warnings(world).at(-1)!.serving as { serialNumber: string }).serialNumber, world.first.serial, 'the warning says what keeps serving');

    world.volume.write({ 'tls.crt': readFileSync(world.second.cert).subarray(0, 300), 'tls.key': world.second.key, 'ca.crt': world.ca });
    await files.reload();
    assert.is(warnings(world).length, before + 2, 'another bad version is logged');

    world.volume.write({ 'tls.crt': world.second.cert, 'tls.key': world.second.key, 'ca.crt': world.ca });
    await files.reload();
    assert.is(files.current().certificate.serialNumber, world.second.serial);
    assert.ok(world.log.lines.some((line) => line.msg === 'TLS files changed: new connections get the new certificate' && line.serialNumber === world.second.serial));
  } finally {
    files.close();
  }
});

test('a listener of the provider gets the current set, then each good new one', async (world) => {
  world.volume.write({ 'tls.crt': world.first.cert, 'tls.key': world.first.key, 'ca.crt': world.ca });
  const files = new CertificateFiles(paths(world));
  const seen: string[] = [];
  const listener = (update: { certificate: Buffer } | null) => void seen.push(update ? new X509Certificate(update.certificate).serialNumber : 'none');
  try {
    files.addIdentityCertificateListener(listener);
    await new Promise((resolve) => process.nextTick(resolve));
    world.volume.write({ 'tls.crt': world.second.cert, 'tls.key': world.first.key, 'ca.crt': world.ca });
    await files.reload();
    world.volume.write({ 'tls.crt': world.second.cert, 'tls.key': world.second.key, 'ca.crt': world.ca });
    await files.reload();
    assert.equal(seen, [world.first.serial, world.second.serial], 'never a bad set, never none');
  } finally {
    files.removeIdentityCertificateListener(listener);
    files.close();
  }
});

test("SANs as Node reports them: DNS and URI names, quoted values, other kinds left out", (world) => {
  const text = new X509Certificate(readFileSync(world.client.cert)).subjectAltName;
  assert.equal(subjectAltNames(text), [
    { type: 'URI', value: 'spiffe://cluster.local/ns/demo/sa/app' },
    { type: 'DNS', value: 'App.Demo' },
  ]);
  assert.equal(subjectAltNames('DNS:"a,b.demo", URI:spiffe://x/y, email:a@b'), [
    { type: 'DNS', value: 'a,b.demo' },
    { type: 'URI', value: 'spiffe://x/y' },
  ]);
  assert.equal(subjectAltNames(undefined), []);
  const names = subjectAltNames(text);
  assert.ok(isAllowed(names, ['app.demo']), 'a DNS name matches ignoring case');
  assert.ok(isAllowed(names, ['spiffe://cluster.local/ns/demo/sa/app']));
  assert.not.ok(isAllowed(names, ['spiffe://cluster.local/ns/demo/sa/APP']), 'a URI matches exactly');
  assert.not.ok(isAllowed(names, ['10.0.0.1', 'spiffe://cluster.local/ns/demo/sa']), 'neither an IP SAN nor a prefix');
});

test.run();
