// A listener that cannot bind ends `serve` at once, with the flag and the address named, and
// leaves nothing half-started behind.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../../bin/demo/free-port.ts';
import { parseFlags } from '../../bin/flags.ts';
import { ControlPlane, serveConfig, serveFlags } from '../../bin/serve.ts';
import { MemorySource } from '../support/memory-source.ts';
import { cli } from './run-cli.ts';

async function occupy(): Promise<{ server: Server; address: string }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as { port: number }).port}` };
}

async function close(server: Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function serveWith(addresses: { xds: string; admin: string; probe?: string }) {
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-bind-'));
  try {
    // Bounded: an occupied port used to leave a process that never exits and never gets ready.
    const args = ['serve', '--source', `file:${dir}`, '--xds-address', addresses.xds, '--admin-address', addresses.admin, '--probe-address', addresses.probe ?? '127.0.0.1:0'];
    return await cli(args, { timeoutMs: 15_000 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('an occupied admin port: serve exits 1 naming --admin-address and the address', async () => {
  const { server, address } = await occupy();
  try {
    const result = await serveWith({ xds: '127.0.0.1:0', admin: address });
    assert.equal(result, { code: 1, stdout: '', stderr: `kube-xds: --admin-address ${address}: address already in use\n` });
  } finally {
    await close(server);
  }
});

test('an occupied probe port: serve exits 1 naming --probe-address and the address', async () => {
  const { server, address } = await occupy();
  try {
    const result = await serveWith({ xds: '127.0.0.1:0', admin: '127.0.0.1:0', probe: address });
    assert.equal(result, { code: 1, stdout: '', stderr: `kube-xds: --probe-address ${address}: address already in use\n` });
  } finally {
    await close(server);
  }
});

test('an occupied xDS port: serve exits 1 naming --xds-address and the address, and nothing else', async () => {
  const { server, address } = await occupy();
  try {
    const result = await serveWith({ xds: address, admin: '127.0.0.1:0' });
    assert.equal(result, { code: 1, stdout: '', stderr: `kube-xds: --xds-address ${address}: address already in use\n` });
  } finally {
    await close(server);
  }
});

class CountingSource extends MemorySource {
  starts = 0;
  override async start(): Promise<void> {
    this.starts++;
  }
}

async function listenAgain(port: number): Promise<void> {
  const again = createServer();
  await new Promise<void>((resolve, reject) => again.once('error', reject).listen(port, '127.0.0.1', resolve));
  await close(again);
}

test('a failed start closes the servers that did bind and never starts the source', async () => {
  const { server, address } = await occupy();
  const [xdsPort, adminPort] = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  try {
    for (const [flag, flags] of [
      ['--admin-address', ['--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', address, '--probe-address', '127.0.0.1:0']],
      ['--probe-address', ['--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', `127.0.0.1:${adminPort}`, '--probe-address', address]],
    ] as const) {
      const source = new CountingSource();
      const controlPlane = new ControlPlane(serveConfig(parseFlags(serveFlags, flags, {})), source);
      const failure = await controlPlane.start().then(async () => {
        await controlPlane.stop();
        return new Error(`start succeeded on an occupied ${flag}`);
      }, (error: Error) => error);
      assert.is(failure.message, `${flag} ${address}: address already in use`);
      assert.is(source.starts, 0);
      await listenAgain(xdsPort);
      await listenAgain(adminPort);
    }
  } finally {
    await close(server);
  }
});

test.run();
