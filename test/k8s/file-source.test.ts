import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { ErrorCode, KubeXdsError } from '../../common/errors.ts';
import { FileSource, type FileSourceOptions } from '../../k8s/file-source.ts';
import { parseSelector } from '../../k8s/selector.ts';
import { waitFor } from '../support/wait.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import { endpoint, service, slice, type Json } from './fixtures.ts';

interface Harness {
  readonly dir: string;
  readonly source: FileSource;
  readonly log: CapturedLog;
  readonly batches: ReadonlySet<string>[];
  write(name: string, ...documents: Json[]): Promise<void>;
  endpoints(key: string): string[] | undefined;
  changeOf(key: string, since: number): Promise<void>;
}

const yaml = (...documents: Json[]) => documents.map((document) => stringify(document)).join('---\n');

type Write = Harness['write'];

async function withFolder(
  seed: (write: Write, dir: string) => Promise<void>,
  options: FileSourceOptions,
  body: (harness: Harness) => Promise<void>,
): Promise<void> {
  const log = captureLog();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-files-'));
  const write = (name: string, ...documents: Json[]) => writeFile(join(dir, name), yaml(...documents));
  const source = new FileSource(dir, { debounceMs: 10, ...options });
  const batches: ReadonlySet<string>[] = [];
  source.onChange((changed) => batches.push(changed));
  try {
    await seed(write, dir);
    await source.start();
    await body({
      dir,
      source,
      log,
      batches,
      write,
      endpoints: (key) => source.services().get(key)?.ports[0]?.endpoints.map((e) => `${e.address}:${e.port}`),
      changeOf: (key, since) => waitFor(`a change of ${key}`, () => batches.slice(since).some((batch) => batch.has(key))).then(() => {}),
    });
  } finally {
    await source.stop();
    await rm(dir, { recursive: true, force: true });
    log.restore();
  }
}

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
    assert.equal(h.source.status(), { synced: true, connected: true, badObjects: 0, restarts: 0 });
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

test('a file that does not parse is logged and keeps its last good contents until fixed', async () => {
  const seed = async (write: Write, dir: string) => {
    await write('web.yaml', web, webSlice('10.0.0.1'));
    await writeFile(join(dir, 'broken-from-start.yaml'), 'kind: Service\nmetadata: {name: [\n');
  };
  await withFolder(seed, {}, async (h) => {
    assert.is(h.source.status().badObjects, 1);
    await writeFile(join(h.dir, 'web.yaml'), `${yaml(web)}---\nkind: EndpointSlice\n  bad: indentation: here\n`);
    await waitFor('the broken file to be noticed', () => h.source.status().badObjects === 2);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051'], 'the last good contents stay');
    assert.match(h.source.status().lastError ?? '', 'web.yaml');
    assert.ok(h.log.lines.some((line) => line.msg === 'a manifest file does not parse; keeping its last good contents' && line.code === 'KXDS_BAD_MANIFEST'));

    const since = h.batches.length;
    await h.write('web.yaml', web, webSlice('10.0.0.2'));
    await h.changeOf('default/web', since);
    assert.equal(h.endpoints('default/web'), ['10.0.0.2:50051']);
  });
});

test('malformed objects in a good file are skipped; the rest of the file loads', async () => {
  const seed = (write: Write) =>
    write(
      'mixed.yaml',
      web,
      webSlice('10.0.0.1'),
      service('bad-port', { ports: [{ port: 99999 }] }),
      { kind: 'Service', metadata: { namespace: 'x' } },
      { apiVersion: 'discovery.k8s.io/v1beta1', kind: 'EndpointSlice', metadata: { name: 'old' } },
    );
  await withFolder(seed, {}, async (h) => {
    assert.equal([...h.source.services().keys()], ['default/web']);
    assert.is(h.source.status().badObjects, 3);
    const messages = h.log.lines.map((line) => String(line.error));
    assert.ok(messages.some((m) => m.includes('spec.ports[0].port must be a port number')));
    assert.ok(messages.some((m) => m.includes('mixed.yaml document 4') && m.includes('metadata.name')));
    assert.ok(messages.some((m) => m.includes('discovery.k8s.io/v1beta1" is not supported')));
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

test('an object defined in two files: the later file by name wins', async () => {
  const seed = async (write: Write) => {
    await write('1-web.yaml', web, webSlice('10.0.0.1'));
    await write('2-override.yaml', webSlice('10.0.0.2'));
  };
  await withFolder(seed, {}, async (h) => {
    assert.equal(h.endpoints('default/web'), ['10.0.0.2:50051']);
    assert.ok(h.log.lines.some((line) => line.msg === 'an object is defined twice; the later file wins'));
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
