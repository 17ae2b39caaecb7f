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

async function serveWith(addresses: { xds: string; admin: string }) {
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-bind-'));
  try {
    // Bounded: an occupied port used to leave a process that never exits and never gets ready.
    return await cli(['serve', '--source', `file:${dir}`, '--xds-address', addresses.xds, '--admin-address', addresses.admin], { timeoutMs: 15_000 });
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

test('a failed start closes the server that did bind and never starts the source', async () => {
  const { server, address } = await occupy();
  const xdsPort = await freePort('127.0.0.1');
  const source = new CountingSource();
  const config = serveConfig(parseFlags(serveFlags, ['--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', address], {}));
  try {
    const controlPlane = new ControlPlane(config, source);
    const failure = await controlPlane.start().then(async () => {
      await controlPlane.stop();
      return new Error('start succeeded on an occupied admin port');
    }, (error: Error) => error);
    assert.is(failure.message, `--admin-address ${address}: address already in use`);
    assert.is(source.starts, 0);
    const again = createServer();
    await new Promise<void>((resolve, reject) => again.once('error', reject).listen(xdsPort, '127.0.0.1', resolve));
    await close(again);
  } finally {
    await close(server);
  }
});

test.run();
