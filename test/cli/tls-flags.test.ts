// `kube-xds serve`'s TLS flags: what they configure, the combinations refused with the flag
// named, files checked at start, and the CLI's exit for each kind of mistake.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags } from '../../bin/flags.ts';
import { serveConfig, serveFlags } from '../../bin/serve.ts';
import { TestPki, type Issued } from '../support/test-pki.ts';
import { cli } from './run-cli.ts';

interface World {
  dir: string;
  ca: string;
  server: Issued;
  other: Issued;
}

const test = suite<World>('serve TLS flags', {} as World);

test.before(async (world) => {
  world.dir = await mkdtemp(join(tmpdir(), 'kube-xds-tls-flags-'));
  const pki = new TestPki(world.dir);
  world.ca = pki.ca('ca');
  world.server = pki.issue('server', { sans: ['IP:127.0.0.1'] });
  world.other = pki.issue('other', { sans: ['IP:127.0.0.1'] });
});

test.after(async ({ dir }) => {
  await rm(dir, { recursive: true, force: true });
});

const config = (argv: string[], env: NodeJS.ProcessEnv = {}) => serveConfig(parseFlags(serveFlags, argv, env));
const tls = (world: World, address = '127.0.0.1:18443') => ['--xds-tls-address', address, '--tls-cert-file', world.server.cert, '--tls-key-file', world.server.key];

test('TLS beside plaintext, mutual TLS with allowed SANs, and plaintext turned off', (world) => {
  assert.equal(config([]).xdsTls, undefined, 'no TLS port unless asked');
  const both = config(tls(world));
  assert.equal(both.xds, { host: '0.0.0.0', port: 18000 });
  assert.equal(both.xdsTls, { host: '127.0.0.1', port: 18443, security: { certFile: world.server.cert, keyFile: world.server.key } });
  const mutual = config([...tls(world), '--xds-address', 'off', '--tls-client-ca-file', world.ca, '--tls-allowed-san', 'spiffe://cluster.local/ns/a/sa/b', '--tls-allowed-san', 'gw.demo']);
  assert.is(mutual.xds, undefined);
  assert.equal(mutual.xdsTls?.security, { certFile: world.server.cert, keyFile: world.server.key, clientCaFile: world.ca, allowedSans: ['spiffe://cluster.local/ns/a/sa/b', 'gw.demo'] });
  const fromEnv = config([], {
    KUBE_XDS_XDS_ADDRESS: 'off',
    KUBE_XDS_XDS_TLS_ADDRESS: '[::]:18443',
    KUBE_XDS_TLS_CERT_FILE: world.server.cert,
    KUBE_XDS_TLS_KEY_FILE: world.server.key,
    KUBE_XDS_TLS_CLIENT_CA_FILE: world.ca,
    KUBE_XDS_TLS_ALLOWED_SAN: 'a.demo, spiffe://x/y',
  });
  assert.equal(fromEnv.xdsTls?.security.allowedSans, ['a.demo', 'spiffe://x/y']);
  assert.is(fromEnv.xdsTls?.host, '::');
  assert.ok(Object.isFrozen(mutual.xdsTls) && Object.isFrozen(mutual.xdsTls?.security));
});

test('combinations that cannot work are refused, naming the flags', (world) => {
  const bad = (argv: string[], pattern: RegExp) => assert.throws(() => config(argv), pattern);
  bad(['--xds-address', 'off'], /--xds-address is off and there is no --xds-tls-address/);
  bad(['--xds-address', 'none'], /--xds-address must be HOST:PORT/);
  bad(['--xds-tls-address', '127.0.0.1:18443'], /--xds-tls-address needs --tls-cert-file and --tls-key-file; --tls-cert-file is missing/);
  bad(['--xds-tls-address', '127.0.0.1:18443', '--tls-cert-file', world.server.cert], /--tls-key-file is missing/);
  bad(['--tls-cert-file', world.server.cert, '--tls-key-file', world.server.key], /--tls-cert-file is for the TLS xDS listener: give --xds-tls-address too/);
  bad(['--tls-client-ca-file', world.ca], /--tls-client-ca-file is for the TLS xDS listener/);
  bad([...tls(world), '--tls-allowed-san', 'a.demo'], /--tls-allowed-san needs --tls-client-ca-file/);
  bad([...tls(world), '--tls-client-ca-file', world.ca, '--tls-allowed-san', 'a b'], /--tls-allowed-san must be one DNS name or URI/);
  bad([...tls(world, '0.0.0.0:18000')], /--xds-address and --xds-tls-address are both 0\.0\.0\.0:18000/);
  bad(['--xds-tls-address', 'nohost', '--tls-cert-file', world.server.cert, '--tls-key-file', world.server.key], /--xds-tls-address must be HOST:PORT/);
});

test('the files must be readable at start: a missing file or a folder is named with its flag', async (world) => {
  const missing = join(world.dir, 'missing.crt');
  assert.throws(() => config(['--xds-tls-address', '127.0.0.1:1', '--tls-cert-file', missing, '--tls-key-file', world.server.key]), new RegExp(`--tls-cert-file ${missing}: cannot read it \\(no such file or directory\\)`));
  const folder = join(world.dir, 'folder');
  await mkdir(folder, { recursive: true });
  assert.throws(() => config([...tls(world), '--tls-client-ca-file', folder]), /--tls-client-ca-file .*folder: is a folder, not a file/);
});

test('serve exits 2 on a flag mistake, and 1 naming --xds-tls-address when the files cannot serve or the port is taken', async (world) => {
  const base = ['serve', '--source', `file:${world.dir}`, '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0', '--log-level', 'silent'];
  const flagMistake = await cli([...base, '--xds-tls-address', '127.0.0.1:0', '--tls-cert-file', world.server.cert]);
  assert.equal(flagMistake, { code: 2, stdout: '', stderr: 'kube-xds: --xds-tls-address needs --tls-cert-file and --tls-key-file; --tls-key-file is missing\n' });

  const mismatched = await cli([...base, '--xds-tls-address', '127.0.0.1:0', '--tls-cert-file', world.server.cert, '--tls-key-file', world.other.key], { timeoutMs: 15_000 });
  assert.equal(mismatched, {
    code: 1,
    stdout: '',
    stderr: `kube-xds: --xds-tls-address 127.0.0.1:0: the private key in ${world.other.key} does not belong to the certificate in ${world.server.cert}\n`,
  });

  const occupied = createServer();
  await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(occupied.address() as { port: number }).port}`;
  try {
    const taken = await cli([...base, ...tls(world, address)], { timeoutMs: 15_000 });
    assert.equal(taken, { code: 1, stdout: '', stderr: `kube-xds: --xds-tls-address ${address}: address already in use\n` });
  } finally {
    await new Promise<void>((resolve) => occupied.close(() => resolve()));
  }
});

test.run();
