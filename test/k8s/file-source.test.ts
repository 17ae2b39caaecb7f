import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, KubeXdsError } from '../../common/errors.ts';
import { FileSource } from '../../k8s/file-source.ts';
import { parseSelector } from '../../k8s/selector.ts';
import { waitFor } from '../support/wait.ts';
import { endpoint, service, slice } from './fixtures.ts';
import { withFolder, yaml, type Write } from './folder-harness.ts';

const web = service('web');
const webSlice = (...addresses: string[]) => slice('web-1', { service: 'web', endpoints: addresses.map((a) => endpoint(a)) });

test('initial load: multi-document YAML, JSON lists, other kinds and other files ignored', async () => {
  const seed = async (write: Write) => {
    await write('web.yaml', web, webSlice('10.0.0.1'), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } });
    await write('api.json', { apiVersion: 'v1', kind: 'List', items: [service('api', { namespace: 'shop' }), slice('api-1', { namespace: 'shop', service: 'api', endpoints: [endpoint('10.0.1.1')] })] });
    await write('typed-list.yml', { apiVersion: 'v1', kind: 'ServiceList', items: [{ metadata: { name: 'untyped' }, spec: { ports: [{ port: 80 }] } }] });
    await write('notes.txt', service('ignored-txt'));
    await write('.hidden.yaml', service('ignored-hidden'));
  };
  await withFolder(seed, {}, async (h) => {
    assert.equal([...h.source.services().keys()].sort(), ['default/untyped', 'default/web', 'shop/api']);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051']);
    assert.equal(h.endpoints('shop/api'), ['10.0.1.1:50051']);
    assert.equal(h.source.status(), { synced: true, connected: true, badObjects: 0, rejectedObjects: 0, duplicateObjects: 0, restarts: 0, routes: { total: 0, withProblems: 0 } });
  });
});

test('edits, editor-style rename saves, new files and deletions are followed', async () => {
  await withFolder((write) => write('web.yaml', web, webSlice('10.0.0.1')), {}, async (h) => {
    let since = h.batches.length;
    await h.write('web.yaml', web, webSlice('10.0.0.1', '10.0.0.2'));
    await h.changeOf('default/web', since);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051', '10.0.0.2:50051']);

    since = h.batches.length;
    await writeFile(join(h.dir, '.web.yaml.swp'), yaml(web, webSlice('10.0.0.3')));
    await rename(join(h.dir, '.web.yaml.swp'), join(h.dir, 'web.yaml'));
    await h.changeOf('default/web', since);
    assert.equal(h.endpoints('default/web'), ['10.0.0.3:50051']);

    since = h.batches.length;
    await h.write('api.yaml', service('api'));
    await h.changeOf('default/api', since);

    since = h.batches.length;
    await unlink(join(h.dir, 'web.yaml'));
    await h.changeOf('default/web', since);
    assert.equal([...h.source.services().keys()], ['default/api']);
  });
});

test('namespace filter and label selector apply to files too', async () => {
  const seed = (write: Write) =>
    write(
      'all.yaml',
      service('web', { namespace: 'a', labels: { expose: 'true' } }),
      service('web', { namespace: 'b', labels: { expose: 'true' } }),
      service('internal', { namespace: 'a' }),
    );
  await withFolder(seed, { namespaces: ['a'], selector: parseSelector('expose') }, async (h) => {
    assert.equal([...h.source.services().keys()], ['a/web']);
  });
});

test('a ConfigMap-style mount: files are symlinks through ..data, swapped atomically', async () => {
  const seed = async (_write: Write, root: string) => {
    await mkdir(join(root, '..v1'));
    await writeFile(join(root, '..v1', 'web.yaml'), yaml(web, webSlice('10.0.0.1')));
    await symlink('..v1', join(root, '..data'));
    await symlink(join('..data', 'web.yaml'), join(root, 'web.yaml'));
  };
  await withFolder(seed, {}, async (h) => {
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051']);
    const since = h.batches.length;
    await mkdir(join(h.dir, '..v2'));
    await writeFile(join(h.dir, '..v2', 'web.yaml'), yaml(web, webSlice('10.0.0.2')));
    await symlink('..v2', join(h.dir, '..data_tmp'));
    await rename(join(h.dir, '..data_tmp'), join(h.dir, '..data'));
    await h.changeOf('default/web', since);
    assert.equal(h.endpoints('default/web'), ['10.0.0.2:50051']);
  });
});

test('the folder moved away and recreated: last state served meanwhile, then reloaded', async () => {
  await withFolder((write) => write('web.yaml', web, webSlice('10.0.0.1')), { resyncMs: 20 }, async (h) => {
    // Moved away in one step (rm -r would delete the files first, which is a legitimate change).
    await rename(h.dir, `${h.dir}.gone`);
    await waitFor('the folder to be missed', () => !h.source.status().connected);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051']);
    await mkdir(h.dir);
    const since = h.batches.length;
    await h.write('web.yaml', web, webSlice('10.0.0.9'));
    await h.changeOf('default/web', since);
    assert.ok(h.source.status().connected);
    assert.is(h.source.status().restarts, 1);
    // Watched again: a change is seen without waiting for a resync.
    const next = h.batches.length;
    await h.write('web.yaml', web, webSlice('10.0.0.10'));
    await h.changeOf('default/web', next);
    await rm(`${h.dir}.gone`, { recursive: true });
  });
});

test('stop() while start() is still loading leaves no timer or folder watch behind', async () => {
  // Handles that would keep the process alive: the resync interval and the folder watch.
  const handles = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout' || kind === 'FSEventWrap').length;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-files-'));
  try {
    await writeFile(join(dir, 'web.yaml'), yaml(web, webSlice('10.0.0.1')));
    // Stop at different points of start(): before its stat() returns, during the scan, ...
    for (const turns of [0, 1, 2, 3, 5, 8]) {
      await settle();
      const before = handles();
      const source = new FileSource(dir, { debounceMs: 1, resyncMs: 60_000 });
      const batches: ReadonlySet<string>[] = [];
      source.onChange((changed) => batches.push(changed));
      const starting = source.start();
      for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
      await source.stop();
      await starting;
      await writeFile(join(dir, 'api.yaml'), yaml(service('api')));
      await settle();
      assert.is(handles(), before, `handles left open when stopped after ${turns} turns`);
      assert.equal(batches, []);
      await unlink(join(dir, 'api.yaml'));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('start() on a missing folder fails with KXDS_BAD_CONFIG', async () => {
  const source = new FileSource(join(tmpdir(), 'kube-xds-no-such-folder'));
  try {
    await source.start();
    assert.unreachable('must fail');
  } catch (error) {
    assert.instance(error, KubeXdsError);
    assert.is((error as KubeXdsError).code, ErrorCode.BadConfig);
  }
});

test.run();
