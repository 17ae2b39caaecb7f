import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from './wait.ts';

test('waitFor returns the first truthy probe value', async () => {
  let calls = 0;
  const value = await waitFor('third call', () => (++calls >= 3 ? calls : undefined), { intervalMs: 1 });
  assert.is(value, 3);
});

test('waitFor fails with the description once the deadline passes', async () => {
  try {
    await waitFor('never', () => false, { timeoutMs: 20, intervalMs: 5 });
    assert.unreachable('should have thrown');
  } catch (error) {
    assert.match((error as Error).message, 'timed out waiting for never');
  }
});

test.run();
