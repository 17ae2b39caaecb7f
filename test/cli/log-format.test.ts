// The log as `serve` writes it: JSON lines by default off a terminal, readable lines when asked.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cli } from './run-cli.ts';

/** A serve that logs an error and exits 1: its folder does not exist. */
const failingServe = ['serve', '--source', 'file:/nonexistent/kube-xds', '--xds-address', '127.0.0.1:0', '--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0'];

test('off a terminal the log is one JSON object per line, with the level as a word', async () => {
  const { code, stderr } = await cli(failingServe);
  assert.is(code, 1);
  const lines = stderr.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const failure = lines.find((line) => line.msg === 'initial sync failed; stopping');
  assert.ok(failure, stderr);
  assert.is(failure.level, 'error');
  assert.match(String(failure.error), '/nonexistent/kube-xds');
  assert.ok(!Number.isNaN(Date.parse(String(failure.time))), 'an ISO time');
});

test('--log-format pretty writes readable lines; --log-level error keeps only errors', async () => {
  const { code, stderr } = await cli([...failingServe, '--log-format', 'pretty', '--log-level', 'error']);
  assert.is(code, 1);
  assert.match(stderr, /ERROR.*initial sync failed; stopping/);
  assert.not.match(stderr, /^\{/m, 'no JSON line');
  assert.not.match(stderr, /listening/, 'info lines are below the level');
});

test('a bad --log-format exits 2 naming the choices', async () => {
  const { code, stderr } = await cli(['serve', '--log-format', 'xml']);
  assert.is(code, 2);
  assert.match(stderr, '--log-format must be one of json, pretty, auto, got "xml"');
});

test.run();
