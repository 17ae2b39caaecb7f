// The file source's gauges as /metrics shows them: objects rejected now and objects
// defined twice rise with the mistakes and fall when they are fixed.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AdminServer, type AdminParts } from '../../bin/admin.ts';
import { waitFor } from '../support/wait.ts';
import { endpoint, service, slice } from './fixtures.ts';
import { withFolder, type Write } from './folder-harness.ts';

/** The other parts /metrics reads, with nothing connected. */
const idle = {
  ads: { streams: () => [], nacks: () => new Map() },
  pipeline: { stats: () => ({ flushes: 0, endpointOnlyFlushes: 0, failedBuilds: 0, conflictingServices: 0 }) },
} as unknown as Pick<AdminParts, 'ads' | 'pipeline'>;

test('/metrics: rejected and duplicate objects of the file source, beside the bad-object counter', async () => {
  const webSlice = (address: string) => slice('web-1', { service: 'web', endpoints: [endpoint(address)] });
  const seed = async (write: Write) => {
    await write('1-web.yaml', service('web'), webSlice('10.0.0.1'));
    await write('2-web.yaml', webSlice('10.0.0.2'));
    await write('bad.yaml', service('bad', { ports: [{ port: 0 }] }));
  };
  await withFolder(seed, {}, async (h) => {
    const admin = new AdminServer({ source: h.source, ...idle, ready: () => true });
    const port = await admin.start('127.0.0.1', 0);
    const sourceLines = async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return text.split('\n').filter((line) => /^kube_xds_source_(bad|rejected|duplicate)/.test(line));
    };
    try {
      assert.equal(await sourceLines(), ['kube_xds_source_bad_objects_total 1', 'kube_xds_source_rejected_objects 1', 'kube_xds_source_duplicate_objects 1']);
      await unlink(join(h.dir, 'bad.yaml'));
      await unlink(join(h.dir, '2-web.yaml'));
      await waitFor('both gauges back to 0', () => h.source.status().rejectedObjects === 0 && h.source.status().duplicateObjects === 0);
      assert.equal(await sourceLines(), ['kube_xds_source_bad_objects_total 1', 'kube_xds_source_rejected_objects 0', 'kube_xds_source_duplicate_objects 0']);
    } finally {
      await admin.stop();
    }
  });
});

test.run();
