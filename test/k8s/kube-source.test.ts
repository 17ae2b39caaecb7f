// The kube source against the fake API server, through every fault an API server has in
// real life.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, KubeXdsError } from '../../common/errors.ts';
import { listPageSize } from '../../k8s/api-requests.ts';
import { KubeSource, type KubeSourceOptions } from '../../k8s/kube-source.ts';
import { loadKubeConfig } from '../../k8s/kubeconfig.ts';
import { parseSelector } from '../../k8s/selector.ts';
import { FakeApiServer } from '../support/fake-apiserver.ts';
import { sleep, waitFor } from '../support/wait.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import { endpoint, service, slice, type Json } from './fixtures.ts';

interface Harness {
  readonly fake: FakeApiServer;
  readonly source: KubeSource;
  readonly log: CapturedLog;
  /** Every onChange batch, oldest first. */
  readonly batches: ReadonlySet<string>[];
  /** Waits for a batch after `since` (an index into batches) that contains `key`. */
  changeOf(key: string, since: number): Promise<void>;
  endpoints(key: string): string[] | undefined;
}

const fast: KubeSourceOptions = { backoff: { initialMs: 5, maxMs: 50 }, listTimeoutMs: 5_000 };

async function withKube(
  seed: (fake: FakeApiServer) => void,
  options: KubeSourceOptions,
  body: (harness: Harness) => Promise<void>,
): Promise<void> {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  seed(fake);
  const source = new KubeSource(fake.access(), { ...fast, ...options });
  const batches: ReadonlySet<string>[] = [];
  source.onChange((changed) => batches.push(changed));
  try {
    await source.start();
    // start() resolves once both kinds are listed; faults are only meaningful once the watches are open.
    await waitFor('both watches open', () => source.status().connected && fake.openWatches() === 2 * (options.namespaces?.length || 1));
    await body({
      fake,
      source,
      log,
      batches,
      changeOf: (key, since) => waitFor(`a change of ${key}`, () => batches.slice(since).some((batch) => batch.has(key))).then(() => {}),
      endpoints: (key) => source.services().get(key)?.ports[0]?.endpoints.map((e) => `${e.address}:${e.port}`),
    });
  } finally {
    await source.stop();
    await fake.close();
    log.restore();
  }
}

function seedWeb(fake: FakeApiServer): void {
  fake.apply('services', service('web'));
  fake.apply('endpointslices', slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1')] }));
}

function webSlice(...addresses: string[]): Json {
  return slice('web-1', { service: 'web', endpoints: addresses.map((address) => endpoint(address)) });
}

/** Proves the source still follows the API server: a new endpoint must arrive. */
async function stillFollows(h: Harness, address: string): Promise<void> {
  const since = h.batches.length;
  h.fake.apply('endpointslices', webSlice('10.0.0.1', address));
  await h.changeOf('default/web', since);
  assert.ok(h.endpoints('default/web')?.includes(`${address}:50051`), `${address} arrived`);
}

test('initial sync: start resolves with the listed state, and it is not replayed as changes', async () => {
  await withKube(seedWeb, {}, async (h) => {
    assert.equal([...h.source.services().keys()], ['default/web']);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051']);
    assert.equal(h.source.status(), { synced: true, connected: true, badObjects: 0, rejectedObjects: 0, duplicateObjects: 0, restarts: 0, routes: { total: 0, withProblems: 0 } });
    assert.equal(h.batches, []);
  });
});

test('adds, updates and deletes arrive with the keys whose model changed', async () => {
  await withKube(seedWeb, {}, async (h) => {
    let since = h.batches.length;
    h.fake.apply('services', service('api', { ports: [{ name: 'http', port: 80 }] }));
    await h.changeOf('default/api', since);
    assert.equal([...(h.batches[since] ?? [])], ['default/api']);

    since = h.batches.length;
    h.fake.apply('endpointslices', webSlice('10.0.0.1', '10.0.0.2'));
    await h.changeOf('default/web', since);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051', '10.0.0.2:50051']);

    // A change the model cannot see (a not-ready endpoint) reports nothing; the next real
    // change on the same watch proves it was processed.
    since = h.batches.length;
    h.fake.apply('endpointslices', slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1'), endpoint('10.0.0.2'), endpoint('10.0.0.3', { conditions: { ready: false } })] }));
    h.fake.apply('endpointslices', slice('api-1', { service: 'api', ports: [{ name: 'http', port: 8080 }], endpoints: [endpoint('10.0.1.1')] }));
    await h.changeOf('default/api', since);
    assert.not.ok(h.batches.slice(since).some((batch) => batch.has('default/web')));

    since = h.batches.length;
    h.fake.delete('services', 'default', 'web');
    await h.changeOf('default/web', since);
    assert.not.ok(h.source.services().has('default/web'));
  });
});

test('410 Gone: the informer relists by itself and later changes still arrive', async () => {
  await withKube(seedWeb, {}, async (h) => {
    const lists = h.fake.requests.filter((r) => r.verb === 'list').length;
    h.fake.expireWatches();
    await waitFor('two relists', () => h.fake.requests.filter((r) => r.verb === 'list').length >= lists + 2);
    await stillFollows(h, '10.0.0.7');
    assert.is(h.source.status().restarts, 0);
  });
});

test('a clean close of every watch, twice: re-watches from the last resourceVersion', async () => {
  await withKube(seedWeb, {}, async (h) => {
    for (const address of ['10.0.0.5', '10.0.0.6']) {
      const watches = h.fake.requests.filter((r) => r.verb === 'watch').length;
      h.fake.closeWatches();
      await waitFor('two re-watches', () => h.fake.requests.filter((r) => r.verb === 'watch').length >= watches + 2);
      await stillFollows(h, address);
    }
    assert.is(h.source.status().restarts, 0);
    assert.is(h.fake.requests.filter((r) => r.verb === 'list').length, 2, 'no relist was needed');
  });
});

test('a watch silent for too long is opened again from its resourceVersion, not restarted', async () => {
  await withKube(seedWeb, { watchIdleMs: 150 }, async (h) => {
    const watches = h.fake.requests.filter((r) => r.verb === 'watch').length;
    await waitFor('two more watches', () => h.fake.requests.filter((r) => r.verb === 'watch').length >= watches + 2);
    const rewatches = h.fake.requests.slice(watches).filter((r) => r.verb === 'watch');
    assert.ok(rewatches.every((r) => r.resourceVersion !== undefined && r.resourceVersion !== ''), 'from the last resourceVersion');
    assert.is(h.fake.requests.filter((r) => r.verb === 'list').length, 2, 'no relist');
    assert.is(h.source.status().restarts, 0);
    await stillFollows(h, '10.0.0.15');
  });
});

test('a connection reset: the stopped informers are restarted', async () => {
  await withKube(seedWeb, {}, async (h) => {
    h.fake.resetConnections();
    await waitFor('restarts', () => h.source.status().restarts >= 2);
    await waitFor('connected again', () => h.source.status().connected);
    await stillFollows(h, '10.0.0.8');
    assert.match(h.source.status().lastError ?? '', /terminated|closed|reset|socket/i);
  });
});

test('5xx answers to watches and lists: retried with backoff until they stop', async () => {
  await withKube(seedWeb, {}, async (h) => {
    h.fake.failRequests(Infinity, 503);
    h.fake.closeWatches();
    await waitFor('several failed restarts', () => h.source.status().restarts >= 4);
    assert.is(h.source.status().connected, false);
    assert.match(h.source.status().lastError ?? '', 'HTTP 503');
    // Lists fail too: a 410 makes the informers relist into the 503s.
    h.fake.expireWatches();
    const restarts = h.source.status().restarts;
    await waitFor('more failed restarts', () => h.source.status().restarts >= restarts + 2);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051'], 'the last state is still served');
    h.fake.stopFailing();
    await waitFor('connected again', () => h.source.status().connected);
    await stillFollows(h, '10.0.0.9');
    assert.ok(h.log.lines.some((line) => line.msg === 'kubernetes list/watch failed; restarting it' && String(line.error).includes('503')));
  });
});

test('a server that accepts a list and never answers: the list times out and is retried', async () => {
  await withKube(seedWeb, { listTimeoutMs: 100 }, async (h) => {
    h.fake.stallRequests();
    h.fake.expireWatches();
    await waitFor('timed-out lists', () => h.source.status().restarts >= 2);
    assert.is(h.source.status().lastError, 'list: no answer within 100 ms');
    h.fake.stopStalling();
    await waitFor('connected again', () => h.source.status().connected);
    await stillFollows(h, '10.0.0.14');
  });
});

test('the API server down for a while: last state served, then changes made meanwhile arrive (history kept)', async () => {
  await withKube(seedWeb, {}, async (h) => {
    await h.fake.goDown();
    await waitFor('disconnected', () => !h.source.status().connected);
    const restarts = h.source.status().restarts;
    await waitFor('retries while down', () => h.source.status().restarts >= restarts + 4);
    assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051']);

    const since = h.batches.length;
    h.fake.delete('endpointslices', 'default', 'web-1');
    h.fake.apply('services', service('api'));
    await h.fake.comeUp();
    await h.changeOf('default/web', since);
    await h.changeOf('default/api', since);
    assert.equal(h.endpoints('default/web'), []);
    await waitFor('connected again', () => h.source.status().connected);
    await stillFollows(h, '10.0.0.10');
  });
});

test('the API server down, history compacted meanwhile: the 410 relist reports the deletions', async () => {
  await withKube(
    (fake) => {
      seedWeb(fake);
      fake.apply('services', service('api'));
    },
    {},
    async (h) => {
      await h.fake.goDown();
      await waitFor('disconnected', () => !h.source.status().connected);
      const since = h.batches.length;
      h.fake.delete('services', 'default', 'api');
      h.fake.delete('endpointslices', 'default', 'web-1');
      h.fake.compact();
      await h.fake.comeUp();
      await h.changeOf('default/api', since);
      await h.changeOf('default/web', since);
      assert.equal([...h.source.services().keys()], ['default/web']);
      assert.equal(h.endpoints('default/web'), []);
      await waitFor('connected again', () => h.source.status().connected);
      h.fake.apply('endpointslices', webSlice('10.0.0.1'));
      await stillFollows(h, '10.0.0.11');
    },
  );
});

test('a malformed object is logged, counted and skipped; the source keeps going', async () => {
  await withKube(
    (fake) => {
      seedWeb(fake);
      // In the initial list...
      fake.apply('services', service('broken-at-start', { ports: [{ name: 'x', port: 0 }] }));
    },
    {},
    async (h) => {
      assert.is(h.source.status().badObjects, 1);
      assert.not.ok(h.source.services().has('default/broken-at-start'));
      // ...and in a watch event.
      h.fake.apply('services', service('broken', { spec: { ports: 'grpc' } }));
      h.fake.apply('endpointslices', webSlice('10.0.0.1', '10.0.0.300'));
      await waitFor('two more bad objects', () => h.source.status().badObjects === 3);
      assert.match(h.source.status().lastError ?? '', /^(Service|EndpointSlice) default\/(broken|web-1): /);
      const warnings = h.log.lines.filter((line) => line.msg === 'skipping a malformed Kubernetes object');
      assert.equal(warnings.map((line) => `${line.kind} ${line.object} ${line.field}`).sort(), [
        'EndpointSlice default/web-1 endpoints[1].addresses[0]',
        'Service default/broken spec.ports',
        'Service default/broken-at-start spec.ports[0].port',
      ]);
      assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051'], 'the previous good slice stays');
      assert.ok(h.source.status().connected);
      await stillFollows(h, '10.0.0.12');
      // The counter keeps the history; the gauge falls as objects are fixed (web-1 above) or deleted.
      assert.is(h.source.status().rejectedObjects, 2);
      h.fake.delete('services', 'default', 'broken');
      await waitFor('the deleted object to leave the gauge', () => h.source.status().rejectedObjects === 1);
      h.fake.apply('services', service('broken-at-start'));
      await waitFor('the fixed object to leave the gauge', () => h.source.status().rejectedObjects === 0);
      assert.is(h.source.status().badObjects, 3);
    },
  );
});

test('namespaces and selector: one informer per namespace and kind, the selector sent for Services', async () => {
  const seed = (fake: FakeApiServer) => {
    for (const namespace of ['a', 'b', 'c']) {
      fake.apply('services', service('web', { namespace, labels: { expose: 'true' } }));
      fake.apply('services', service('internal', { namespace }));
      fake.apply('endpointslices', slice('web-1', { namespace, service: 'web', endpoints: [endpoint('10.0.0.1')] }));
    }
  };
  await withKube(seed, { namespaces: ['a', 'b'], selector: parseSelector('expose=true') }, async (h) => {
    assert.equal([...h.source.services().keys()].sort(), ['a/web', 'b/web']);
    assert.equal(h.endpoints('a/web'), ['10.0.0.1:50051']);
    const lists = h.fake.requests.filter((r) => r.verb === 'list');
    assert.equal(
      lists.map((r) => `${r.resource} ${r.namespace} ${r.labelSelector}`).sort(),
      ['endpointslices a undefined', 'endpointslices b undefined', 'services a expose=true', 'services b expose=true'],
    );
    assert.ok(h.fake.requests.filter((r) => r.verb === 'watch' && r.resource === 'services').every((r) => r.labelSelector === 'expose=true'));

    const since = h.batches.length;
    h.fake.apply('services', service('web', { namespace: 'b' }));
    await h.changeOf('b/web', since);
    assert.equal([...h.source.services().keys()], ['a/web'], 'a Service that stops matching leaves the model');
  });
});

test('bookmarks move the resourceVersion the next watch starts from', async () => {
  await withKube(seedWeb, {}, async (h) => {
    h.fake.apply('services', service('other', { namespace: 'elsewhere' }));
    h.fake.sendBookmarks();
    const bookmarked = h.fake.resourceVersion;
    const watches = h.fake.requests.length;
    h.fake.closeWatches();
    await waitFor('two re-watches', () => h.fake.requests.slice(watches).filter((r) => r.verb === 'watch').length >= 2);
    assert.ok(h.fake.requests.slice(watches).every((r) => r.resourceVersion === bookmarked));
    await stillFollows(h, '10.0.0.13');
  });
});

test('a collection larger than a page is listed a page at a time, and a relist still finds deletions', async () => {
  const count = 2 * listPageSize + 100;
  const seed = (fake: FakeApiServer) => {
    for (let i = 0; i < count; i++) fake.apply('services', service(`svc-${i}`));
  };
  await withKube(seed, {}, async (h) => {
    assert.is(h.source.services().size, count);
    const pages = h.fake.requests.filter((r) => r.verb === 'list' && r.resource === 'services');
    assert.equal(pages.map((r) => [r.limit, r.continue !== undefined]), [[listPageSize, false], [listPageSize, true], [listPageSize, true]]);

    await h.fake.goDown();
    await waitFor('disconnected', () => !h.source.status().connected);
    const since = h.batches.length;
    h.fake.delete('services', 'default', `svc-${count - 1}`);
    h.fake.compact();
    await h.fake.comeUp();
    await h.changeOf(`default/svc-${count - 1}`, since);
    assert.is(h.source.services().size, count - 1);
  });
});

test('start() waits through failing first lists', async () => {
  await withKube(
    (fake) => {
      seedWeb(fake);
      fake.failRequests(3, 500);
    },
    {},
    async (h) => {
      assert.ok(h.source.status().synced);
      assert.ok(h.source.status().restarts >= 2);
      assert.equal(h.endpoints('default/web'), ['10.0.0.1:50051']);
    },
  );
});

test('stop() ends every watch, even during an outage with restarts pending', async () => {
  const log = captureLog();
  const fake = await FakeApiServer.start();
  try {
    seedWeb(fake);
    const source = new KubeSource(fake.access(), fast);
    await source.start();
    await waitFor('both watches open', () => fake.openWatches() === 2);
    await source.stop();
    await waitFor('no open watches', () => fake.openWatches() === 0);

    const second = new KubeSource(fake.access(), fast);
    await second.start();
    fake.failRequests(Infinity, 500);
    fake.closeWatches();
    await waitFor('failing restarts', () => second.status().restarts >= 2);
    await second.stop();
    fake.stopFailing();
    // Absence cannot be waited for: requests already in flight at stop() land first, then
    // a stray restart gets twice the backoff ceiling to show up.
    const ceiling = fast.backoff?.maxMs ?? 0;
    await sleep(ceiling);
    const requests = fake.requests.length;
    await sleep(2 * ceiling);
    assert.is(fake.requests.length, requests, 'no request after stop()');
    assert.is(fake.openWatches(), 0);
  } finally {
    await fake.close();
    log.restore();
  }
});

test('loadKubeConfig reads a kubeconfig file and rejects a bad one with KXDS_BAD_CONFIG', async () => {
  const fake = await FakeApiServer.start();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-kubeconfig-'));
  try {
    await fake.writeKubeconfig(join(dir, 'config'));
    assert.is(loadKubeConfig(join(dir, 'config')).server, fake.url);
    try {
      loadKubeConfig(join(dir, 'missing'));
      assert.unreachable('a missing file must fail');
    } catch (error) {
      assert.instance(error, KubeXdsError);
      assert.is((error as KubeXdsError).code, ErrorCode.BadConfig);
    }
  } finally {
    await rm(dir, { recursive: true });
    await fake.close();
  }
});

test.run();
