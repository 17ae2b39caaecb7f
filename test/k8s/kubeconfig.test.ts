// Kubeconfig files as users write them, against the fake API server over HTTPS with a CA,
// client certificates and tokens: the Kubernetes source must sync through each of them, and
// hand what node:https alone cannot do (here basic authentication) to client-node.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { ErrorCode, KubeXdsError } from '../../common/errors.ts';
import type { ApiAccess } from '../../k8s/api-access.ts';
import { KubeSource } from '../../k8s/kube-source.ts';
import { loadKubeConfig } from '../../k8s/kubeconfig.ts';
import { captureLog } from '../support/capture-log.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { waitFor } from '../support/wait.ts';
import { service } from './fixtures.ts';

type Json = Record<string, unknown>;

interface Pki {
  readonly dir: string;
  /** PEM files: a CA, a server certificate for 127.0.0.1, and a client certificate it signed. */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A second CA that signed nothing here. */
  readonly otherCa: string;
}

/** Certificates made with the openssl command line (Node cannot sign certificates). */
async function makePki(dir: string): Promise<Pki> {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ca = (name: string) => openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
  const signed = (name: string, extensions: string) => {
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    execFileSync('sh', ['-c', `printf '%s\\n' '${extensions}' > ${name}.ext`], { cwd: dir });
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
  };
  ca('ca');
  ca('other-ca');
  signed('server', 'subjectAltName=IP:127.0.0.1');
  signed('client', 'extendedKeyUsage=clientAuth');
  const file = (name: string) => join(dir, name);
  return { dir, ca: file('ca.crt'), serverCert: file('server.crt'), serverKey: file('server.key'), clientCert: file('client.crt'), clientKey: file('client.key'), otherCa: file('other-ca.crt') };
}

function kubeconfig(cluster: Json, user: Json, name = 'test'): Json {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
  };
}

/** Syncs a Kubernetes source through `access`; returns it running, or its last error. */
async function syncThrough(fake: FakeApiServer, access: ApiAccess): Promise<{ synced: boolean; lastError?: string }> {
  const source = new KubeSource(access, { backoff: { initialMs: 5, maxMs: 50 }, listTimeoutMs: 5_000 });
  const started = source.start();
  try {
    await waitFor('a sync or a failure', () => source.status().synced || source.status().lastError !== undefined);
    if (source.status().synced) {
      await started;
      assert.equal([...source.services().keys()], ['default/web']);
    }
    return { synced: source.status().synced, ...(source.status().lastError === undefined ? {} : { lastError: source.status().lastError }) };
  } finally {
    await source.stop();
    await started.catch(() => {});
  }
}

async function withPki(body: (pki: Pki, fake: FakeApiServer) => Promise<void>): Promise<void> {
  const log = captureLog();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-kubeconfig-'));
  let fake: FakeApiServer | undefined;
  try {
    const pki = await makePki(dir);
    const read = (file: string) => readFile(file);
    fake = await FakeApiServer.start({ key: await read(pki.serverKey), cert: await read(pki.serverCert), ca: await read(pki.ca), requestCert: true, rejectUnauthorized: true });
    fake.apply('services', service('web'));
    await body(pki, fake);
  } finally {
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
    log.restore();
  }
}

test('HTTPS: the CA by a relative path, client certificates inline, and a token', async () => {
  await withPki(async (pki, fake) => {
    const pem = async (file: string) => (await readFile(file)).toString('base64');
    const path = join(pki.dir, 'config');
    await writeFile(path, stringify(kubeconfig(
      { server: fake.url, 'certificate-authority': 'ca.crt' },
      { token: 'secret-token', 'client-certificate-data': await pem(pki.clientCert), 'client-key-data': await pem(pki.clientKey) },
    )));
    assert.equal(await syncThrough(fake, loadKubeConfig(path)), { synced: true });
    assert.ok(fake.requests.length > 0 && fake.requests.every((request) => request.authorization === 'Bearer secret-token'));
  });
});

test('HTTPS: a server certificate from another CA, or no client certificate, is a failure that names the cause', async () => {
  await withPki(async (pki, fake) => {
    const path = join(pki.dir, 'config');
    await writeFile(path, stringify(kubeconfig({ server: fake.url, 'certificate-authority': pki.otherCa }, { 'client-certificate': pki.clientCert, 'client-key': pki.clientKey })));
    const wrongCa = await syncThrough(fake, loadKubeConfig(path));
    assert.is(wrongCa.synced, false);
    assert.match(wrongCa.lastError ?? '', /certificate/i);

    await writeFile(path, stringify(kubeconfig({ server: fake.url, 'certificate-authority': pki.ca }, {})));
    const noClientCert = await syncThrough(fake, loadKubeConfig(path));
    assert.is(noClientCert.synced, false);
    assert.match(noClientCert.lastError ?? '', /certificate required/);
  });
});

test('a token file, relative to the kubeconfig, and insecure-skip-tls-verify', async () => {
  await withPki(async (pki, fake) => {
    await writeFile(join(pki.dir, 'token'), 'from-a-file\n');
    const path = join(pki.dir, 'config');
    await writeFile(path, stringify(kubeconfig({ server: fake.url, 'insecure-skip-tls-verify': true }, { tokenFile: 'token', 'client-certificate': 'client.crt', 'client-key': 'client.key' })));
    assert.equal(await syncThrough(fake, loadKubeConfig(path)), { synced: true });
    assert.ok(fake.requests.every((request) => request.authorization === 'Bearer from-a-file'));
  });
});

test('KUBECONFIG with several files: the first definition of a name wins, and the first current-context', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-kubeconfig-'));
  try {
    fake.apply('services', service('web'));
    const first = join(dir, 'first');
    const second = join(dir, 'second');
    await writeFile(first, stringify({ 'current-context': 'main', contexts: [{ name: 'main', context: { cluster: 'fake', user: 'me' } }], users: [{ name: 'me', user: { token: 'first' } }] }));
    await writeFile(second, stringify({
      'current-context': 'other',
      clusters: [{ name: 'fake', cluster: { server: fake.url } }],
      users: [{ name: 'me', user: { token: 'second' } }],
      contexts: [{ name: 'main', context: { cluster: 'nowhere', user: 'me' } }],
    }));
    const access = loadKubeConfig(undefined, { KUBECONFIG: [join(dir, 'missing'), first, second].join(delimiter) });
    assert.is(access.server, fake.url);
    assert.equal(await syncThrough(fake, access), { synced: true });
    assert.ok(fake.requests.every((request) => request.authorization === 'Bearer first'));
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
    log.restore();
  }
});

test('a user that needs client-node (basic authentication here) goes through it', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-kubeconfig-'));
  try {
    fake.apply('services', service('web'));
    const path = join(dir, 'config');
    await writeFile(path, stringify(kubeconfig({ server: fake.url, 'insecure-skip-tls-verify': true }, { username: 'admin', password: 'hunter2' })));
    assert.equal(await syncThrough(fake, loadKubeConfig(path)), { synced: true });
    const basic = `Basic ${Buffer.from('admin:hunter2').toString('base64')}`;
    assert.ok(fake.requests.length > 0 && fake.requests.every((request) => request.authorization === basic));
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
    log.restore();
  }
});

test('a kubeconfig that names no usable cluster is a configuration error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-kubeconfig-'));
  try {
    const path = join(dir, 'config');
    await writeFile(path, stringify(kubeconfig({ server: 'https://10.0.0.1/' }, {})));
    assert.is(loadKubeConfig(path).server, 'https://10.0.0.1', 'a valid one, for contrast');
    const cases: [Json | string, RegExp][] = [
      [{ clusters: [{ name: 'a', cluster: { server: 'https://10.0.0.1' } }] }, /names no current cluster \(current-context\)/],
      [{ ...kubeconfig({ server: 'https://10.0.0.1' }, {}), clusters: [] }, /has no cluster "test" for context "test"/],
      [kubeconfig({ server: '10.0.0.1:6443' }, {}), /gives cluster "test" no http\(s\) server URL/],
      ['- just\n- a list\n', /is not a kubeconfig/],
      ['clusters: [unclosed\n', /cannot load the Kubernetes configuration/],
    ];
    for (const [content, message] of cases) {
      await writeFile(path, typeof content === 'string' ? content : stringify(content));
      try {
        loadKubeConfig(path);
        assert.unreachable(`${JSON.stringify(content)} must fail`);
      } catch (error) {
        assert.instance(error, KubeXdsError);
        assert.is((error as KubeXdsError).code, ErrorCode.BadConfig);
        assert.match((error as Error).message, message);
      }
    }
    assert.throws(() => loadKubeConfig(undefined, { KUBECONFIG: join(dir, 'missing') }), /KUBECONFIG names no file that exists/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
