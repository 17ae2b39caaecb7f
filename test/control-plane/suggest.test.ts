import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boundedDistance, closestNames } from '../../control-plane/suggest.ts';

const names = ['echo.demo.svc.cluster.local:50051', 'echo.demo.svc.cluster.local:8080', 'echo.prod.svc.cluster.local:50051', 'billing.demo.svc.cluster.local:50051'];

test('a short or partial name finds the Service of that name first', () => {
  assert.equal(closestNames('echo:50051', names), ['echo.demo.svc.cluster.local:8080', 'echo.demo.svc.cluster.local:50051', 'echo.prod.svc.cluster.local:50051']);
});

test('a typo finds the nearest names, nearest first', () => {
  assert.equal(closestNames('ecoh.demo.svc.cluster.local:50051', names), [
    'echo.demo.svc.cluster.local:50051',
    'echo.demo.svc.cluster.local:8080', // 6 edits, as the next: ties sort by name
    'echo.prod.svc.cluster.local:50051',
  ]);
  assert.equal(closestNames('echo.demo.svc.cluster.local:5051', names, 1), ['echo.demo.svc.cluster.local:50051']);
});

test('nothing alike, nothing suggested', () => {
  assert.equal(closestNames('payments.shop.svc.cluster.local:443', names), []);
});

test('boundedDistance is the edit distance up to its bound', () => {
  assert.is(boundedDistance('kitten', 'sitting', 5), 3);
  assert.is(boundedDistance('kitten', 'sitting', 2), 3, 'past the bound it answers bound + 1');
  assert.is(boundedDistance('', 'abc', 5), 3);
  assert.is(boundedDistance('same', 'same', 0), 0);
});

test.run();
