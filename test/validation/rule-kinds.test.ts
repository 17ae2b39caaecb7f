// Rule keys no loaded proto declares (so no real message can break them) still behave as
// protoc-gen-validate specifies; checked on the rule kinds directly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { valueRuleKinds } from '../support/envoy-check/pgv-rules.ts';
import type { RuleSet } from '../support/envoy-check/rule-kind.ts';

function broken(kind: string, value: unknown, rules: RuleSet): string[] {
  const checker = valueRuleKinds[kind];
  if (!checker) throw new Error(`no rule kind ${kind}`);
  return checker.check(value, rules).map((violation) => violation.rule);
}

const integerKinds = ['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'];

test('numeric const, in, not_in and bounds for every integer and floating point kind', () => {
  for (const kind of [...integerKinds, 'float', 'double']) {
    const value = kind.endsWith('64') ? 5n : 5;
    assert.equal(broken(kind, value, { const: 5, in: [4, 5], not_in: [6], gt: 4, lt: 6 }), [], kind);
    assert.equal(broken(kind, value, { const: 6 }), ['const'], kind);
    assert.equal(broken(kind, value, { in: [1, 2] }), ['in'], kind);
    assert.equal(broken(kind, value, { not_in: 5 }), ['not_in'], `${kind}: one value written without brackets`);
    assert.equal(broken(kind, value, { gt: 5 }), ['gt'], kind);
    assert.equal(broken(kind, value, { gte: 6 }), ['gte'], kind);
    assert.equal(broken(kind, value, { lt: 5 }), ['lt'], kind);
    assert.equal(broken(kind, value, { lte: 4 }), ['lte'], kind);
    assert.equal(broken(kind, value, { gte: 5, lte: 5 }), [], kind);
  }
});

test('a lower bound above the upper one means "outside the range"', () => {
  assert.equal(broken('int32', 5, { gt: 10, lt: 0 }), ['gt']);
  assert.equal(broken('int32', 11, { gt: 10, lt: 0 }), []);
  assert.equal(broken('int32', -1, { gt: 10, lt: 0 }), []);
});

test('64-bit bounds keep their precision', () => {
  assert.equal(broken('uint64', 2n ** 64n - 1n, { lte: '18446744073709551615' }), []);
  assert.equal(broken('int64', 2n ** 53n + 1n, { lte: '9007199254740992' }), ['lte']);
  assert.equal(broken('float', 0.5, { gte: 1 }), ['gte']);
  assert.equal(broken('double', Number.NaN, { gt: 0 }), ['gt']);
});

test('string lengths count code points, byte lengths UTF-8 bytes', () => {
  assert.equal(broken('string', 'héllo', { len: 5, max_len: 5, min_bytes: 6, len_bytes: 6 }), []);
  assert.equal(broken('string', 'héllo', { min_len: 6, max_bytes: 5 }), ['min_len', 'max_bytes']);
  assert.equal(broken('string', '👍', { max_len: 1, max_bytes: 3 }), ['max_bytes']);
});

test('string const, prefix, suffix, contains, not_contains, in, not_in', () => {
  const rules = { const: 'envoy.a', prefix: 'envoy.', suffix: '.a', contains: 'y.', not_contains: 'x', in: ['envoy.a'], not_in: ['b'] };
  assert.equal(broken('string', 'envoy.a', rules), []);
  assert.equal(broken('string', 'xds.b', rules), ['const', 'prefix', 'suffix', 'contains', 'not_contains', 'in']);
  assert.equal(broken('string', 'b', { not_in: ['b'] }), ['not_in']);
});

test('string formats: hostname, ip, ipv4, ipv6, address', () => {
  assert.equal(broken('string', 'foo.default.svc.cluster.local', { hostname: true, address: true }), []);
  assert.equal(broken('string', '-foo..bar', { hostname: true, address: true }), ['hostname', 'address']);
  assert.equal(broken('string', '10.0.0.1', { ip: true, ipv4: true, address: true }), []);
  assert.equal(broken('string', '[::1]', { ip: true, ipv6: true }), ['ip', 'ipv6']);
  assert.equal(broken('string', '::1', { ipv4: true }), ['ipv4']);
});

test('HTTP header regexes, strict and loose', () => {
  assert.equal(broken('string', ':authority', { well_known_regex: 'HTTP_HEADER_NAME' }), []);
  assert.equal(broken('string', 'a b', { well_known_regex: 'HTTP_HEADER_NAME' }), ['well_known_regex']);
  assert.equal(broken('string', 'a b', { well_known_regex: 'HTTP_HEADER_NAME', strict: false }), []);
  assert.equal(broken('string', 'a\rb', { well_known_regex: 1, strict: false }), ['well_known_regex']);
  assert.equal(broken('string', 'a\u007fb', { well_known_regex: 'HTTP_HEADER_VALUE' }), ['well_known_regex']);
  assert.equal(broken('string', 'a\u007fb', { well_known_regex: 2, strict: false }), []);
});

test('bytes const, prefix, suffix, contains, in, not_in, lengths and IP sizes', () => {
  const value = new Uint8Array([0x61, 0x62, 0x63]);
  assert.equal(broken('bytes', value, { const: 'abc', prefix: 'a', suffix: 'c', contains: 'b', in: ['abc'], not_in: ['x'], len: 3 }), []);
  assert.equal(broken('bytes', value, { const: 'x', prefix: 'b', suffix: 'b', contains: 'z', in: ['x'], not_in: ['abc'], min_len: 4 }), [
    'min_len', 'const', 'prefix', 'suffix', 'contains', 'in', 'not_in',
  ]);
  assert.equal(broken('bytes', value, { ip: true, ipv4: true, ipv6: true }), ['ip', 'ipv4', 'ipv6']);
});

test('enum const, in, not_in; bool const', () => {
  assert.equal(broken('enum', 2, { const: 2, in: [1, 2], not_in: [3] }), []);
  assert.equal(broken('enum', 3, { const: 2, in: [1, 2], not_in: [3] }), ['const', 'in', 'not_in']);
  assert.equal(broken('bool', false, { const: true }), ['const']);
});

test('any in and not_in compare type URLs', () => {
  const any = { type_url: 'type.googleapis.com/envoy.A', value: new Uint8Array() };
  assert.equal(broken('any', any, { in: ['type.googleapis.com/envoy.A'], not_in: ['type.googleapis.com/envoy.B'] }), []);
  assert.equal(broken('any', any, { in: ['type.googleapis.com/envoy.B'], not_in: ['type.googleapis.com/envoy.A'] }), ['in', 'not_in']);
});

test('duration const, in, not_in and bounds with rule values written as Durations', () => {
  const halfSecond = { seconds: 0n, nanos: 500_000_000 };
  assert.equal(broken('duration', halfSecond, { const: { nanos: 500_000_000 }, in: [{ nanos: 500_000_000 }], lte: { seconds: 1 } }), []);
  assert.equal(broken('duration', halfSecond, { const: { seconds: 1 }, in: [{ seconds: 1 }], not_in: { nanos: 500_000_000 } }), [
    'const', 'in', 'not_in',
  ]);
  assert.equal(broken('duration', halfSecond, { gt: { seconds: 1 }, lt: { seconds: 2 } }), ['gt']);
});

test.run();
