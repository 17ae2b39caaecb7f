// The coalescer's batches: an isolated change at once, a burst gathered after its first batch.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Coalescer } from '../../pipeline/coalescer.ts';
import { waitFor } from '../support/wait.ts';

const test = suite('coalescer');

function recorder(options: { windowMs: number; maxDelayMs: number }) {
  const batches: string[][] = [];
  const coalescer = new Coalescer(options, (keys) => void batches.push(keys));
  return { batches, coalescer };
}

test('a change that finds it quiet goes out without waiting for the window, with what came in the same turn', async () => {
  const { batches, coalescer } = recorder({ windowMs: 60_000, maxDelayMs: 60_000 });
  coalescer.add(['a']);
  coalescer.add(['b', 'a']);
  await waitFor('the leading batch', () => batches.length === 1);
  assert.equal(batches, [['a', 'b']]);
  coalescer.stop();
});

test('changes soon after a batch are gathered into one, by the max delay at the latest', async () => {
  const { batches, coalescer } = recorder({ windowMs: 60_000, maxDelayMs: 30 });
  coalescer.add(['a']);
  await waitFor('the leading batch', () => batches.length === 1);
  coalescer.add(['b']);
  await new Promise((resolve) => setImmediate(resolve));
  coalescer.add(['c']);
  await waitFor('the gathered batch', () => batches.length === 2);
  assert.equal(batches, [['a'], ['b', 'c']]);
  coalescer.stop();
});

test('a batch whose flush is still running holds the next one back', async () => {
  const batches: string[][] = [];
  let finish = () => {};
  const coalescer = new Coalescer({ windowMs: 0, maxDelayMs: 0 }, (keys) => {
    batches.push(keys);
    return new Promise<void>((resolve) => (finish = resolve));
  });
  coalescer.add(['a']);
  await waitFor('the first batch', () => batches.length === 1);
  coalescer.add(['b']);
  coalescer.add(['c']);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(batches, [['a']], 'nothing handed over while the first flush runs');
  finish();
  await waitFor('the second batch', () => batches.length === 2);
  assert.equal(batches[1], ['b', 'c']);
  finish();
  coalescer.stop();
});

test('nothing is handed over after stop', async () => {
  const { batches, coalescer } = recorder({ windowMs: 0, maxDelayMs: 0 });
  coalescer.add(['a']);
  coalescer.stop();
  coalescer.add(['b']);
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(batches, []);
});

test.run();
