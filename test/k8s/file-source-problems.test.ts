// What the file source does and says about mistakes in the folder: an object written twice,
// malformed objects and files, slices that belong to no Service, a folder emptied.
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ServiceModel } from '../../k8s/model.ts';
import { waitFor } from '../support/wait.ts';
import { endpoint, service, slice, type Json } from './fixtures.ts';
import { loadFolder, withFolder, yaml, type Harness, type Write } from './folder-harness.ts';

const web = service('web');
const webSlice = (...addresses: string[]) => slice('web-1', { service: 'web', endpoints: addresses.map((a) => endpoint(a)) });
const nothing = async () => {};

const logged = (h: Harness, msg: string) => h.log.lines.filter((line) => line.msg === msg);

test('an object written in two files: the file that sorts last wins, whichever appeared first, live and after a restart', async () => {
  const files: Record<string, Json[]> = {
    '1-web.yaml': [web, webSlice('10.0.0.1')],
    '2-web.yaml': [service('web', { annotations: { 'kube-xds.io/from': '2-web' } }), webSlice('10.0.0.2')],
  };
  const models: Map<string, ServiceModel>[] = [];
  for (const order of [['1-web.yaml', '2-web.yaml'], ['2-web.yaml', '1-web.yaml']]) {
    await withFolder(nothing, {}, async (h) => {
      const [first, second] = order as [string, string];
      const since = h.batches.length;
      await h.write(first, ...files[first]!);
      await h.changeOf('default/web', since);
      await h.write(second, ...files[second]!);
      await waitFor('both objects seen twice', () => h.source.status().duplicateObjects === 2);
      models.push(new Map(h.source.services()));

      const warnings = logged(h, 'an object is defined more than once; the definition in the file that sorts last is used');
      assert.equal(
        warnings.map(({ kind, object, used, ignored }) => ({ kind, object, used, ignored })),
        [
          { kind: 'Service', object: 'default/web', used: `${join(h.dir, '2-web.yaml')} document 1`, ignored: [`${join(h.dir, '1-web.yaml')} document 1`] },
          { kind: 'EndpointSlice', object: 'default/web-1', used: `${join(h.dir, '2-web.yaml')} document 2`, ignored: [`${join(h.dir, '1-web.yaml')} document 2`] },
        ],
      );
      models.push(await loadFolder(h.dir));
      // Once per conflict: rescans for other reasons say nothing more.
      const reported = logged(h, warnings[0]!.msg as string).length;
      await h.write('api.yaml', service('api'));
      await waitFor('api to load', () => h.source.services().has('default/api'));
      assert.is(logged(h, warnings[0]!.msg as string).length, reported);

      await unlink(join(h.dir, '1-web.yaml'));
      await waitFor('the conflict to end', () => h.source.status().duplicateObjects === 0);
      assert.equal(logged(h, 'an object is no longer defined more than once').map((line) => line.object), ['default/web', 'default/web-1']);
    });
  }
  for (const model of models) assert.equal(model, models[0], 'the same model in both orders, live and after a restart');
  assert.equal(models[0]?.get('default/web')?.annotations, { 'kube-xds.io/from': '2-web' });
  assert.equal(models[0]?.get('default/web')?.ports[0]?.endpoints.map((e) => e.address), ['10.0.0.2']);
});

test('twice in one file: the later document wins, and it is reported like two files', async () => {
  await withFolder((write) => write('web.yaml', web, webSlice('10.0.0.1'), webSlice('10.0.0.2')), {}, async (h) => {
    assert.equal(h.endpoints('default/web'), ['10.0.0.2:50051']);
    assert.is(h.source.status().duplicateObjects, 1);
    const [warning] = logged(h, 'an object is defined more than once; the definition in the file that sorts last is used');
    assert.equal([warning?.used, warning?.ignored], [`${join(h.dir, 'web.yaml')} document 3`, [`${join(h.dir, 'web.yaml')} document 2`]]);
  });
});

test('every rejection names the file, the document, the kind, namespace/name and the field', async () => {
  const seed = async (write: Write, dir: string) => {
    await write(
      'mixed.yaml',
      web,
      webSlice('10.0.0.1'),
      service('bad-port', { ports: [{ port: 99999 }] }),
      { kind: 'Service', metadata: { namespace: 'x' } },
      { apiVersion: 'discovery.k8s.io/v1beta1', kind: 'EndpointSlice', metadata: { name: 'old' } },
      { apiVersion: 'v1', metadata: { name: 'no-kind' } },
      { apiVersion: 'v1', kind: 'service', metadata: { name: 'lowercase', namespace: 'shop' } },
      { apiVersion: 'v1', kind: 'List', items: [web, slice('web-2', { service: 'web', endpoints: [endpoint('10.0.0.300')] })] },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
      service('Web'),
      { resources: ['web.yaml'] },
    );
    await writeFile(join(dir, 'not-objects.yaml'), 'just a string\n---\n- a\n- list\n');
    await writeFile(join(dir, 'broken.yaml'), 'kind: Service\nmetadata: {name: other}\n---\nkind: EndpointSlice\nmetadata:\n  name: web-9\n  bad: indentation: here\n');
  };
  await withFolder(seed, {}, async (h) => {
    assert.equal([...h.source.services().keys()], ['default/web']);
    const rejections = h.log.lines.filter((line) => line.code === 'KXDS_BAD_OBJECT' || line.code === 'KXDS_BAD_MANIFEST');
    const mixed = join(h.dir, 'mixed.yaml');
    assert.equal(
      rejections.filter((line) => line.file === mixed).map((line) => `${line.document}${line.item ? `.${line.item}` : ''} ${line.kind} ${line.object} ${line.field}`),
      [
        '3 Service default/bad-port spec.ports[0].port',
        '4 Service x/(no name) metadata.name',
        '5 EndpointSlice default/old apiVersion',
        '6 object default/no-kind kind',
        '7 service shop/lowercase kind',
        '8.2 EndpointSlice default/web-2 endpoints[0].addresses[0]',
        '10 Service default/Web metadata.name',
      ],
    );
    for (const line of rejections.filter((line) => line.file === mixed)) {
      const where = `${mixed} document ${line.document}${line.item ? ` item ${line.item}` : ''}: ${line.kind} ${line.object}: ${line.field} `;
      assert.ok(String(line.error).startsWith(where), `${line.error} starts with ${where}`);
    }
    const errors = rejections.map((line) => String(line.error));
    assert.ok(errors.includes(`${mixed} document 3: Service default/bad-port: spec.ports[0].port must be a port number 1..65535, got 99999`));
    assert.ok(errors.includes(`${mixed} document 5: EndpointSlice default/old: apiVersion must be discovery.k8s.io/v1 (no other version is supported), got "discovery.k8s.io/v1beta1"`));
    assert.ok(errors.includes(`${mixed} document 7: service shop/lowercase: kind must be spelled Service (kinds are case-sensitive), got "service"`));
    assert.ok(errors.includes(`${join(h.dir, 'not-objects.yaml')} document 1: not a Kubernetes object (a mapping with kind and metadata), got "just a string"`));
    assert.ok(errors.includes(`${join(h.dir, 'not-objects.yaml')} document 2: not a Kubernetes object (a mapping with kind and metadata), got ["a","list"]`));
    assert.ok(errors.every((error) => !error.includes('?')), 'no object is named "?"');

    const [broken] = rejections.filter((line) => line.file === join(h.dir, 'broken.yaml'));
    assert.equal([broken?.document, broken?.kind, broken?.object, broken?.line, broken?.column], [2, 'EndpointSlice', 'default/web-9', 7, 8]);
    assert.match(String(broken?.error), `${join(h.dir, 'broken.yaml')} document 2 (EndpointSlice default/web-9): Nested mappings are not allowed in compact mappings at line 7, column 8`);

    assert.equal(logged(h, 'a manifest file holds other kinds; they are ignored').map((line) => line.kinds), [['(no kind)', 'Deployment']]);
    assert.equal(h.source.status().badObjects, 10);
    assert.equal(h.source.status().rejectedObjects, 10);
  });
});

test('the rejected gauge counts what is rejected now; a rejected update keeps the last good version', async () => {
  const seed = async (write: Write) => {
    await write('web.yaml', web, webSlice('10.0.0.1'));
    await write('bad.yaml', service('bad', { ports: [{ port: 0 }] }));
  };
  await withFolder(seed, {}, async (h) => {
    assert.equal([h.source.status().badObjects, h.source.status().rejectedObjects], [1, 1]);

    await h.write('web.yaml', web, webSlice('10.0.0.300'));
    await waitFor('the bad update to be rejected', () => h.source.status().rejectedObjects === 2);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051'], 'the last good version stays');
    const [kept] = logged(h, 'skipping a malformed object in a manifest file; its last good version stays');
    assert.equal([kept?.kind, kept?.object, kept?.field], ['EndpointSlice', 'default/web-1', 'endpoints[0].addresses[0]']);

    let since = h.batches.length;
    await h.write('web.yaml', web, webSlice('10.0.0.2'));
    await h.changeOf('default/web', since);
    assert.equal(h.endpoints('default/web'), ['10.0.0.2:50051']);
    assert.is(h.source.status().rejectedObjects, 1, 'fixed: no longer rejected');

    await unlink(join(h.dir, 'bad.yaml'));
    await waitFor('the removed object to leave the gauge', () => h.source.status().rejectedObjects === 0);
    assert.is(h.source.status().badObjects, 2, 'the counter keeps the history');

    // A rejected object dropped from its file takes its last good version with it.
    await h.write('web.yaml', web, webSlice('10.0.0.300'));
    await waitFor('rejected again', () => h.source.status().rejectedObjects === 1);
    since = h.batches.length;
    await h.write('web.yaml', web);
    await h.changeOf('default/web', since);
    assert.equal(h.endpoints('default/web'), []);
    assert.is(h.source.status().rejectedObjects, 0);
  });
});

test('a file that stops parsing keeps its last good contents and says so; fixed, it says it parses again', async () => {
  const seed = async (write: Write, dir: string) => {
    await write('web.yaml', web, webSlice('10.0.0.1'));
    await writeFile(join(dir, 'broken-from-start.yaml'), 'kind: Service\nmetadata: {name: [\n');
  };
  await withFolder(seed, {}, async (h) => {
    const [fromStart] = logged(h, 'a manifest file does not parse; nothing in it is used until it does');
    assert.equal([fromStart?.file, fromStart?.code], [join(h.dir, 'broken-from-start.yaml'), 'KXDS_BAD_MANIFEST']);
    assert.equal([h.source.status().badObjects, h.source.status().rejectedObjects], [1, 1]);

    await writeFile(join(h.dir, 'web.yaml'), `${yaml(web)}---\nkind: EndpointSlice\n  bad: indentation: here\n`);
    await waitFor('the broken file to be noticed', () => h.source.status().badObjects === 2);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051'], 'the last good contents stay');
    assert.match(h.source.status().lastError ?? '', 'web.yaml document 2');
    const [keeping] = logged(h, 'a manifest file does not parse; keeping its last good contents');
    assert.equal([keeping?.file, keeping?.document, keeping?.kept], [join(h.dir, 'web.yaml'), 2, 2]);
    assert.is(h.source.status().rejectedObjects, 2);

    const since = h.batches.length;
    await h.write('web.yaml', web, webSlice('10.0.0.2'));
    await h.changeOf('default/web', since);
    assert.equal(h.endpoints('default/web'), ['10.0.0.2:50051']);
    assert.equal(logged(h, 'a manifest file parses again').map((line) => line.file), [join(h.dir, 'web.yaml')]);
    await writeFile(join(h.dir, 'broken-from-start.yaml'), yaml(service('api')));
    await waitFor('the other file fixed', () => h.source.services().has('default/api'));
    assert.equal(logged(h, 'a manifest file parses again').length, 2);
    assert.is(h.source.status().rejectedObjects, 0);
  });
});

test('an EndpointSlice without the service-name label is warned about once, until it gains the label', async () => {
  const orphan = (...labels: [string, string][]) => ({ ...slice('web-x', { endpoints: [endpoint('10.0.0.9')] }), metadata: { name: 'web-x', namespace: 'default', labels: Object.fromEntries(labels) } });
  const message = 'an EndpointSlice without the kubernetes.io/service-name label belongs to no Service; it is ignored';
  await withFolder((write) => write('web.yaml', web, orphan()), {}, async (h) => {
    assert.equal(logged(h, message).map(({ file, document, kind, object }) => ({ file, document, kind, object })), [
      { file: join(h.dir, 'web.yaml'), document: 2, kind: 'EndpointSlice', object: 'default/web-x' },
    ]);
    await h.write('web.yaml', service('web', { annotations: { 'kube-xds.io/edited': 'yes' } }), orphan());
    await h.write('api.yaml', service('api'));
    await waitFor('both edits seen', () => h.source.services().has('default/api') && h.source.services().get('default/web')?.annotations['kube-xds.io/edited']);
    assert.is(logged(h, message).length, 1, 'once per object');

    await h.write('web.yaml', web, orphan(['kubernetes.io/service-name', 'web']));
    await waitFor('the slice to join web', () => h.endpoints('default/web')?.length === 1);
    await h.write('web.yaml', web, orphan());
    await waitFor('the slice to leave web', () => h.endpoints('default/web')?.length === 0);
    assert.is(logged(h, message).length, 2, 'warned again once it lost the label');
  });
});

test('the folder emptied of Services: a warning that every Service is gone', async () => {
  const message = 'the manifest folder defines no Service any more: every Service is gone (usually a mistake)';
  await withFolder((write) => write('web.yaml', web, webSlice('10.0.0.1')), {}, async (h) => {
    await h.write('web.yaml', web);
    await waitFor('the slice removed', () => h.endpoints('default/web')?.length === 0);
    assert.equal(logged(h, message), [], 'not while a Service is left');
    await unlink(join(h.dir, 'web.yaml'));
    await waitFor('the Service removed', () => h.source.services().size === 0);
    assert.equal(logged(h, message).map(({ level, dir, removed }) => ({ level, dir, removed })), [{ level: 'warn', dir: h.dir, removed: 1 }]);
  });
});

test('a folder that starts empty is no mistake: nothing is said', async () => {
  await withFolder(nothing, {}, async (h) => {
    await h.write('web.yaml', web);
    await waitFor('web to load', () => h.source.services().has('default/web'));
    assert.equal(h.log.lines.filter((line) => line.level === 'warn'), []);
  });
});

test.run();
