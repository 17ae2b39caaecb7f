// Nothing is skipped silently: every rule the loaded protos declare is implemented, and a rule
// the checker does not know is reported rather than ignored.
import protobuf from 'protobufjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { declaredRules, isImplementedRule } from '../support/envoy-check/index.ts';
import { validateMessage } from '../support/envoy-check/pgv-walk.ts';
import type { Problem } from '../support/envoy-check/problem.ts';

test('every rule declared in the loaded protos is implemented', () => {
  const rules = declaredRules();
  const unimplemented = [...rules].filter(([rule]) => !isImplementedRule(rule)).map(([rule, where]) => `${rule} (${where})`);
  assert.equal(unimplemented, []);
  assert.ok(rules.size >= 45, `${rules.size} distinct rules found`);
  for (const expected of ['string.well_known_regex', 'repeated.items.uint32.lte', 'map.keys.string.min_len', 'oneof option (validate.required)']) {
    assert.ok(rules.has(expected), expected);
  }
});

test('no message-level validate options (disabled, ignored) are declared', () => {
  assert.equal([...declaredRules().keys()].filter((rule) => rule.startsWith('message option')), []);
});

test('a rule the checker does not implement is reported, not skipped', () => {
  const root = new protobuf.Root();
  root.addJSON(protobuf.common.get('google/protobuf/timestamp.proto')?.nested ?? {});
  protobuf.parse(
    `syntax = "proto3";
    package probe;
    message Probe {
      google.protobuf.Timestamp at = 1 [(validate.rules).timestamp = {lt_now: true}];
      string mail = 2 [(validate.rules).string = {email: true}];
    }`,
    root,
  );
  root.resolveAll();
  const problems: Problem[] = [];
  validateMessage(root.lookupType('probe.Probe'), { at: { seconds: 1n }, mail: 'a@b' }, '', { problems });
  assert.equal(problems.map((problem) => `${problem.path} ${problem.rule} ${problem.message}`), [
    'at timestamp rule kind not implemented by the checker',
    'mail string.email rule not implemented by the checker',
  ]);
});

test.run();
