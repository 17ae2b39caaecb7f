import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChangeFeed } from '../../k8s/change-feed.ts';
import { captureLog } from '../support/capture-log.ts';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('nothing is delivered before open(); a burst after it arrives as one batch', async () => {
  const feed = new ChangeFeed();
  const batches: string[][] = [];
  feed.subscribe((changed) => batches.push([...changed]));
  feed.add(new Set(['a']));
  await tick();
  assert.equal(batches, []);
  feed.open();
  feed.add(new Set(['b']));
  feed.add(new Set(['c', 'b']));
  feed.add(new Set());
  await tick();
  assert.equal(batches, [['b', 'c']]);
  feed.close();
  feed.add(new Set(['d']));
  await tick();
  assert.is(batches.length, 1);
});

test('a listener that throws is logged and does not starve the others', async () => {
  const log = captureLog();
  try {
    const feed = new ChangeFeed();
    const seen: string[] = [];
    feed.subscribe(() => {
      throw new Error('boom');
    });
    feed.subscribe((changed) => seen.push(...changed));
    feed.open();
    feed.add(new Set(['a']));
    await tick();
    assert.equal(seen, ['a']);
    assert.is(log.lines[0]?.msg, 'a model change listener failed');
  } finally {
    log.restore();
  }
});

test.run();
