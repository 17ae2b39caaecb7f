import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Backoff } from '../../k8s/backoff.ts';

test('delays double up to the ceiling, each jittered into the upper half of its step', () => {
  const backoff = new Backoff({ initialMs: 100, maxMs: 1_000 });
  const steps = [100, 200, 400, 800, 1_000, 1_000];
  steps.forEach((step, attempt) => {
    const delay = backoff.next(attempt);
    assert.ok(delay >= step / 2 && delay <= step, `attempt ${attempt}: ${delay} within [${step / 2}, ${step}]`);
  });
});

test('a failure after a quiet spell starts again from the first step', () => {
  const backoff = new Backoff({ initialMs: 100, maxMs: 1_000, resetAfterMs: 5_000 });
  for (let now = 0; now < 10; now++) backoff.next(now);
  assert.ok(backoff.next(4_000) > 500, 'still at the ceiling');
  assert.ok(backoff.next(9_001) <= 100, 'reset');
});
test.run();
