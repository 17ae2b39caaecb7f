// The conventions of a command line: --version, -h/--help on every command, help for one
// command, durations with units, and help that starts without loading the control plane.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../../bin/demo/free-port.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { waitFor } from '../support/wait.ts';
import { cli } from './run-cli.ts';

const packageVersion: string = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')).version;

test('--version and version print the package version', async () => {
  for (const args of [['--version'], ['version']]) {
    assert.equal(await cli(args), { code: 0, stdout: `kube-xds ${packageVersion}\n`, stderr: '' }, args.join(' '));
  }
});

test('-h and --help work on every command, and print only that command', async () => {
  const commands = [['serve'], ['bootstrap'], ['bootstrap', 'grpc'], ['bootstrap', 'envoy'], ['status'], ['demo'], ['version'], ['help']];
  const runs = commands.flatMap((command) => ['-h', '--help'].map(async (flag) => ({ command, flag, result: await cli([...command, flag]) })));
  for (const { command, flag, result } of await Promise.all(runs)) {
    const name = command.join(' ');
    assert.is(result.code, 0, `${name} ${flag}: ${result.stderr}`);
    if (name === 'help') assert.match(result.stdout, /^kube-xds: an Envoy xDS control plane/, `${name} ${flag}`);
    else assert.match(result.stdout, new RegExp(`^kube-xds ${name}\\b`), `${name} ${flag}`);
  }
  const demo = await cli(['demo', '--help'], { timeoutMs: 10_000 });
  assert.not.match(demo.stdout, 'Round', 'demo --help ran the demo');
  assert.match(demo.stdout, 'ENVOY_BIN');
});

test('help COMMAND shows that command only', async () => {
  const serve = await cli(['help', 'serve']);
  assert.is(serve.code, 0);
  assert.match(serve.stdout, '--coalesce-window DURATION');
  assert.not.match(serve.stdout, /bootstrap|demo|--role/);
  const bootstrap = await cli(['help', 'bootstrap']);
  assert.match(bootstrap.stdout, /^kube-xds bootstrap grpc[^]*^kube-xds bootstrap envoy/m);
  assert.not.match(bootstrap.stdout, /kube-xds serve|--coalesce-window/);
  const grpc = await cli(['help', 'bootstrap', 'grpc']);
  assert.not.match(grpc.stdout, /--role|bootstrap envoy/);
  const demo = await cli(['help', 'demo']);
  assert.match(demo.stdout, /^kube-xds demo\b/);
  assert.not.match(demo.stdout, /--/);
  const status = await cli(['help', 'status']);
  assert.match(status.stdout, /^kube-xds status \[flags\]/);
  assert.match(status.stdout, '--admin-address HOST:PORT');
  assert.match(status.stdout, 'kubectl -n kube-xds port-forward deploy/kube-xds 18080');
  assert.not.match(status.stdout, /--coalesce-window|--role/);
  const unknown = await cli(['help', 'launch']);
  assert.is(unknown.code, 2);
  assert.match(unknown.stderr, 'kube-xds: unknown command "launch"');
});

test('help has no empty notes and says what a bare number means for a duration', async () => {
  const { stdout } = await cli(['help']);
  assert.not.match(stdout, '()');
  assert.match(stdout, 'DURATION is a number with a unit: ms, s, m or h');
  assert.match(stdout, 'A bare number other than 0 is refused');
});

/** Were a flag error let through, serve would stop at once instead of listening on the default ports. */
const harmless = ['--source', 'file:/nonexistent/kube-xds', '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0'];

test('durations take units; a bare number is refused with the units offered', async () => {
  const bare = await cli(['serve', ...harmless, '--coalesce-window', '10']);
  assert.equal(bare, { code: 2, stdout: '', stderr: 'kube-xds: --coalesce-window needs a unit: 10ms, 10s, 10m or 10h?\n' });
  const fromEnv = await cli(['serve', ...harmless], { env: { KUBE_XDS_MAX_CONNECTION_AGE: '30' } });
  assert.is(fromEnv.code, 2);
  assert.match(fromEnv.stderr, '--max-connection-age needs a unit');
});

/** The module URLs `kube-xds args` resolved. */
async function importsOf(args: readonly string[]): Promise<{ code: number | null; urls: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-imports-'));
  try {
    const record = join(dir, 'imports.txt');
    const { code } = await cli(args, { nodeArgs: ['--import', './test/cli/record-imports.ts'], env: { RECORD_IMPORTS_TO: record } });
    return { code, urls: (await readFile(record, 'utf8')).split('\n') };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const heavy = /@kubernetes\/client-node|@grpc\/grpc-js|\/generated\/envoy\.js/;

test('help, the version, flag errors and status load no Kubernetes client, gRPC or generated protos', async () => {
  // The check sees them when they are loaded: serve on a folder that does not exist gets that far.
  const serve = await importsOf(['serve', ...harmless, '--log-level', 'silent']);
  assert.is(serve.code, 1);
  assert.ok(serve.urls.some((url) => url.includes('@grpc/grpc-js')), 'the recorder sees @grpc/grpc-js');
  assert.ok(serve.urls.some((url) => url.endsWith('/generated/envoy.js')), 'the recorder sees generated/envoy.js');
  const nobodyListens = ['--admin-address', `127.0.0.1:${await freePort('127.0.0.1')}`];
  for (const args of [['help'], ['serve', '--help'], ['--version'], ['serve', '--nope'], ['serve', ...harmless, '--coalesce-window', '10'], ['demo', '--help'], ['status', '--help'], ['status', '--output', 'yaml'], ['status', ...nobodyListens]]) {
    const { code, urls } = await importsOf(args);
    assert.ok(code === 0 || code === 2 || (args[0] === 'status' && code === 1), `${args.join(' ')} exited ${code}`);
    assert.ok(urls.some((url) => url.endsWith('/bin/cli.ts')), `${args.join(' ')}: recorded`);
    assert.equal(urls.filter((url) => heavy.test(url)), [], `${args.join(' ')} loaded them`);
  }
});

test('serve loads client-node only for a kubeconfig that needs it: not on a folder, not for a plain kubeconfig', async () => {
  const onFolder = await importsOf(['serve', ...harmless, '--log-level', 'silent']);
  assert.ok(onFolder.urls.some((url) => url.endsWith('/k8s/file-source.ts')), 'recorded');
  assert.not.ok(onFolder.urls.some((url) => url.includes('@kubernetes/client-node')), 'on a folder');

  const fake = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-imports-'));
  try {
    await fake.writeKubeconfig(join(dir, 'kubeconfig'));
    const record = join(dir, 'imports.txt');
    const admin = `127.0.0.1:${await freePort('127.0.0.1')}`;
    const args = ['serve', '--kubeconfig', join(dir, 'kubeconfig'), '--xds-address', '127.0.0.1:0', '--admin-address', admin, '--probe-address', '127.0.0.1:0', '--log-level', 'silent'];
    const serve = spawn(process.execPath, ['--import', './test/cli/record-imports.ts', 'bin/kube-xds.js', ...args], { env: { ...process.env, RECORD_IMPORTS_TO: record }, stdio: 'ignore' });
    const exited = once(serve, 'exit');
    try {
      await waitFor('serve to be ready', async () => serve.exitCode === null && (await fetch(`http://${admin}/readyz`)).ok);
    } finally {
      serve.kill('SIGTERM');
      await exited;
    }
    const urls = (await readFile(record, 'utf8')).split('\n');
    assert.ok(urls.some((url) => url.endsWith('/k8s/kube-source.ts')), 'recorded');
    assert.not.ok(urls.some((url) => url.includes('@kubernetes/client-node')), 'with a kubeconfig that names no exec plugin or auth provider');
    assert.ok(fake.requests.some((request) => request.verb === 'watch'), 'it watched the API server');
  } finally {
    await rm(dir, { recursive: true, force: true });
    await fake.close();
  }
});

test.run();
