import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, KubeXdsError } from '../../common/errors.ts';
import { parseSelector } from '../../k8s/selector.ts';

test('the empty selector matches everything', () => {
  const selector = parseSelector('  ');
  assert.is(selector.text, '');
  assert.ok(selector.matches({}));
});

test('every requirement form, combined', () => {
  const selector = parseSelector(' a=b, c!=d ,e in (y, x),!f,g, h==i, j notin (k), n>2 ');
  assert.is(selector.text, 'a=b,c!=d,e in (x,y),!f,g,h=i,j!=k,n>2');
  const base = { a: 'b', e: 'x', g: '', h: 'i', n: '3' };
  assert.ok(selector.matches(base));
  assert.not.ok(selector.matches({ ...base, a: 'z' }), 'a=b');
  assert.not.ok(selector.matches({ ...base, c: 'd' }), 'c!=d');
  assert.ok(selector.matches({ ...base, c: 'other' }), 'c!=d with another value');
  assert.not.ok(selector.matches({ ...base, e: 'z' }), 'e in (x,y)');
  assert.not.ok(selector.matches({ ...base, f: 'anything' }), '!f');
  const { g: _g, ...withoutG } = base;
  assert.not.ok(selector.matches(withoutG), 'g exists');
  assert.not.ok(selector.matches({ ...base, j: 'k' }), 'j notin (k)');
  assert.not.ok(selector.matches({ ...base, n: '2' }), 'n>2');
  assert.not.ok(selector.matches({ ...base, n: 'many' }), 'n>2 needs a number');
});

test('a missing key fails in and equality, passes notin and inequality', () => {
  assert.not.ok(parseSelector('a in (x)').matches({}));
  assert.not.ok(parseSelector('a=x').matches({}));
  assert.ok(parseSelector('a notin (x)').matches({}));
  assert.ok(parseSelector('a!=x').matches({}));
});

test('prefixed keys and empty values', () => {
  const selector = parseSelector('app.kubernetes.io/name=web,tier=');
  assert.ok(selector.matches({ 'app.kubernetes.io/name': 'web', tier: '' }));
  assert.not.ok(selector.matches({ 'app.kubernetes.io/name': 'web' }));
  assert.is(parseSelector('a==').text, 'a=');
});

test('malformed selectors fail with KXDS_BAD_CONFIG', () => {
  for (const text of ['a=b=c', 'a in (x', 'a in x)', 'a in ()', '=b', 'a in (b c)', 'a,,b', `a=${'x'.repeat(64)}`, '-a', 'a>b']) {
    try {
      parseSelector(text);
      assert.unreachable(`${text} should not parse`);
    } catch (error) {
      assert.instance(error, KubeXdsError, text);
      assert.is((error as KubeXdsError).code, ErrorCode.BadConfig, text);
      assert.match((error as Error).message, 'bad label selector');
    }
  }
});

test.run();
