// Values quoted in KXDS_BAD_OBJECT messages: JSON, cut at 60 characters, whatever the value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, KubeXdsError } from '../../common/errors.ts';
import { preview } from '../../k8s/fields.ts';
import { ModelStore } from '../../k8s/store.ts';
import { service } from './fixtures.ts';

function nested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

test('small values read as JSON.stringify writes them', () => {
  for (const value of [0, -1, 1.5, Number.NaN, null, true, 'abc', [1, 'a', null], { a: 1, b: [2, { c: 'd' }] }, { skipped: undefined, kept: null }, [undefined], new Date(0), {}, []]) {
    assert.is(preview(value), JSON.stringify(value), JSON.stringify(value));
  }
  assert.is(preview('x'.repeat(100)), `"${'x'.repeat(56)}...`);
  assert.is(preview(Array.from({ length: 100 }, (_, i) => i)), `${JSON.stringify(Array.from({ length: 100 }, (_, i) => i)).slice(0, 57)}...`);
});

test('a value nested 200,000 deep or a million items long is cut, not walked', () => {
  assert.is(preview(nested(200_000)), `${'['.repeat(57)}...`);
  assert.is(preview({ ports: nested(200_000) }).length, 60);
  assert.is(preview(Array.from({ length: 1_000_000 }, () => 'port')).length, 60);
});

test('an object nested too deep to stringify is skipped and counted like any malformed one', () => {
  const store = new ModelStore();
  const bad = { ...service('deep'), spec: { ports: nested(200_000) } };
  assert.equal([...store.applyService(bad)], []);
  assert.is(store.badObjects, 1);
  assert.is(store.rejectedObjects, 1);
  let error: unknown;
  new ModelStore({ onBadObject: (e) => (error = e) }).applyService({ ...service('deep'), metadata: { name: 'deep', namespace: 'default', labels: nested(200_000) } });
  assert.instance(error, KubeXdsError);
  assert.is((error as KubeXdsError).code, ErrorCode.BadObject);
});

test('a name a megabyte long is cut in the message that names the object', () => {
  let message = '';
  const store = new ModelStore({ onBadObject: (error) => (message = error.message) });
  store.applyService(service('x'.repeat(1_000_000)));
  assert.is(store.badObjects, 1);
  assert.ok(message.length < 1_000, `${message.length} characters`);
  assert.match(message, `Service default/${'x'.repeat(503)}...: metadata.name must be a DNS-1035 label`);
});

test.run();
