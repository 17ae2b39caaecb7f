// `npm run demo` as a newcomer runs it: it exits by itself and shows the experiment's result.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

test('the demo shows the pinned client on one pod and the xDS client spread evenly', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['bin/kube-xds.js', 'demo'], { timeout: 120_000 });
  const rounds = stdout.split('Round ').slice(1);
  assert.is(rounds.length, 2, stdout);
  const rows = (round: string) => [...round.matchAll(/^\s+(pod-\d)\s+(\d+)\s+(\d+)$/gm)].map(([, pod, xds, pinned]) => ({ pod, xds: Number(xds), pinned: Number(pinned) }));
  const before = rows(rounds[0]!);
  const after = rows(rounds[1]!);
  assert.is(after.length, 5);
  assert.equal(before.map((r) => r.xds), [500, 0, 0, 0, 0]);
  assert.equal(after.map((r) => r.pinned), [500, 0, 0, 0, 0]);
  for (const row of after) assert.ok(Math.abs(row.xds - 100) <= 2, `${row.pod}: ${row.xds} of 500 xDS calls`);
  assert.match(stdout, /reached all 5 backends \d+ ms after the manifest changed/);
});

test.run();
