// The CLI as a user runs it, in its own process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envName } from '../../bin/flags.ts';
import { serveFlags } from '../../bin/serve.ts';
import { envoyValidatesBootstrap } from '../support/envoy-validate.ts';
import { cli } from './run-cli.ts';

test('--help explains every serve flag and its environment variable', async () => {
  const { code, stdout } = await cli(['serve', '--help']);
  assert.is(code, 0);
  for (const flag of serveFlags) {
    assert.ok(stdout.includes(`--${flag.name}`), `--${flag.name} in help`);
    assert.ok(stdout.includes(envName(flag.name)), `${envName(flag.name)} in help`);
  }
});

test('a bad flag or environment variable exits 2 with a clear message', async () => {
  const unknown = await cli(['serve', '--nope']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, 'kube-xds: unknown flag --nope');
  const badEnv = await cli(['serve'], { env: { KUBE_XDS_XDS_ADDRESS: 'localhost' } });
  assert.is(badEnv.code, 2);
  assert.match(badEnv.stderr, '--xds-address must be HOST:PORT');
  const noFolder = await cli(['serve', '--source', 'file:/nonexistent/kube-xds', '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0']);
  assert.is(noFolder.code, 1);
  assert.match(noFolder.stderr, 'initial sync failed');
  const noCommand = await cli(['launch']);
  assert.is(noCommand.code, 2);
  assert.match(noCommand.stderr, 'unknown command "launch"');
});

test('bootstrap grpc prints the JSON proxyless clients read', async () => {
  const { code, stdout } = await cli(['bootstrap', 'grpc', '--xds-address', 'kube-xds.kube-xds.svc:18000', '--node-id', 'app-1']);
  assert.is(code, 0);
  const bootstrap = JSON.parse(stdout);
  assert.is(bootstrap.xds_servers[0].server_uri, 'kube-xds.kube-xds.svc:18000');
  assert.is(bootstrap.node.id, 'app-1');
  assert.ok(bootstrap.node.locality);
  const missing = await cli(['bootstrap', 'grpc'], { env: { KUBE_XDS_XDS_ADDRESS: '0.0.0.0:18000' } });
  assert.is(missing.code, 2);
  assert.match(missing.stderr, '--xds-address is required');
});

test('bootstrap envoy prints a valid Bootstrap for each role', async () => {
  for (const role of ['gateway', 'sidecar']) {
    const { code, stdout } = await cli(['bootstrap', 'envoy', '--role', role, '--xds-address', 'kube-xds.kube-xds.svc:18000', '--node-id', 'envoy-1']);
    assert.is(code, 0);
    assert.equal(await envoyValidatesBootstrap(stdout), { ok: true, message: '' });
    assert.match(stdout, `kube-xds.io/role: ${role}`);
  }
  const loopbackAdmin = await cli(['bootstrap', 'envoy', '--role', 'gateway', '--xds-address', 'a:1', '--node-id', 'no', '--admin-address', '127.0.0.1:9902']);
  assert.match(loopbackAdmin.stdout, /address: 127\.0\.0\.1\n\s+port_value: 9902/);
  assert.equal(await envoyValidatesBootstrap(loopbackAdmin.stdout), { ok: true, message: '' }, 'a node id YAML 1.1 reads as false is quoted');
  for (const [ads, apiType] of [['delta', 'DELTA_GRPC'], ['sotw', 'GRPC']]) {
    const chosen = await cli(['bootstrap', 'envoy', '--role', 'sidecar', '--xds-address', 'a:1', '--node-id', 'envoy-1', '--ads', ads!]);
    assert.is(chosen.code, 0, chosen.stderr);
    assert.match(chosen.stdout, new RegExp(`^    api_type: ${apiType}$`, 'm'), `--ads ${ads}`);
  }
  const badAds = await cli(['bootstrap', 'envoy', '--role', 'gateway', '--xds-address', 'a:1', '--ads', 'incremental']);
  assert.is(badAds.code, 2);
  assert.match(badAds.stderr, 'kube-xds: --ads must be delta or sotw, got "incremental"');
  const badRole = await cli(['bootstrap', 'envoy', '--role', 'ingress', '--xds-address', 'a:1']);
  assert.is(badRole.code, 2);
  assert.match(badRole.stderr, '--role must be gateway or sidecar');
});

test('serve on a folder: /healthz, /readyz and /metrics on both listeners, /debug/clients on the admin one only', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-cli-'));
  await writeFile(join(dir, 'svc.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {ports: [{port: 80, name: http}]}\n');
  const { ControlPlane, serveConfig } = await import('../../bin/serve.ts');
  const { parseFlags } = await import('../../bin/flags.ts');
  const flags = ['--source', `file:${dir}`, '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0'];
  const controlPlane = new ControlPlane(serveConfig(parseFlags(serveFlags, flags, {})));
  try {
    const { ports, synced } = await controlPlane.start();
    await synced;
    assert.is.not(ports.admin, ports.probe);
    for (const port of [ports.admin, ports.probe]) {
      const get = async (path: string) => {
        const response = await fetch(`http://127.0.0.1:${port}${path}`);
        return { status: response.status, body: await response.text() };
      };
      assert.equal(await get('/healthz'), { status: 200, body: 'ok\n' });
      assert.is((await get('/readyz')).status, 200);
      const metrics = (await get('/metrics')).body;
      assert.match(metrics, /^kube_xds_ready 1$/m);
      assert.match(metrics, /^kube_xds_services 1$/m);
      assert.is((await get('/nope')).status, 404);
    }
    const clients = await fetch(`http://127.0.0.1:${ports.admin}/debug/clients`);
    assert.equal(await clients.json(), []);
    assert.is((await fetch(`http://127.0.0.1:${ports.probe}/debug/clients`)).status, 404);
  } finally {
    await controlPlane.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
