// IP literals in EndpointSlices: what the API server accepts is accepted, written one way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalIp, compareIps, memoizedIpOrder } from '../../k8s/ip.ts';
import { buildServiceModel, readEndpointSlice, readService } from '../../k8s/normalize.ts';
import { endpoint, service, slice } from './fixtures.ts';

test('IPv4 octets with leading zeros are decimal, as the API server (ParseIPSloppy) reads them', () => {
  assert.is(canonicalIp('010.0.0.1', 'IPv4'), '10.0.0.1');
  assert.is(canonicalIp('10.000.0.01', 'IPv4'), '10.0.0.1');
  assert.is(canonicalIp('000000010.0.0.1', 'IPv4'), '10.0.0.1');
  assert.is(canonicalIp('00.0.0.0', 'IPv4'), '0.0.0.0');
  assert.is(canonicalIp('0256.0.0.1', 'IPv4'), undefined, 'still at most 255');
  assert.is(canonicalIp('64:ff9b::010.0.0.1', 'IPv6'), '64:ff9b::a00:1');
});

test('an IPv4-mapped IPv6 address in an IPv4 slice is its IPv4 address; other IPv6 is not IPv4', () => {
  assert.is(canonicalIp('::ffff:10.0.0.1', 'IPv4'), '10.0.0.1');
  assert.is(canonicalIp('::FFFF:a00:1', 'IPv4'), '10.0.0.1');
  assert.is(canonicalIp('0:0:0:0:0:ffff:010.0.0.1', 'IPv4'), '10.0.0.1');
  assert.is(canonicalIp('::10.0.0.1', 'IPv4'), undefined, 'IPv4-compatible is not IPv4-mapped');
  assert.is(canonicalIp('fd00::1', 'IPv4'), undefined);
});

test('what no parser takes stays refused', () => {
  for (const text of ['10.0.0.1 ', ' 10.0.0.1', '1.2.3', '1.2.3.4.5', '10.0.0.256', '1..2.3', '', 'a.010.0.0.1', '10.0.0.1/24']) {
    assert.is(canonicalIp(text, 'IPv4'), undefined, JSON.stringify(text));
  }
  for (const text of ['fe80::1%eth0', '10.0.0.1', 'x:010.0.0.1', '1::2::3']) assert.is(canonicalIp(text, 'IPv6'), undefined, JSON.stringify(text));
});

test('a slice with legacy-form addresses is served, de-duplicated against the canonical form and sorted', () => {
  const model = buildServiceModel(readService(service('web')), [
    readEndpointSlice(slice('web-1', { service: 'web', endpoints: [endpoint('010.000.000.002'), endpoint('::ffff:10.0.0.1'), endpoint('10.0.0.2')] })),
  ]);
  assert.equal(model.ports[0]!.endpoints.map((e) => e.address), ['10.0.0.1', '10.0.0.2']);
  assert.ok(compareIps('10.0.0.2', '10.0.0.10') < 0);
});

test('the memoized order is compareIps: numeric, not textual', () => {
  const addresses = ['fd00::10', 'fd00::9', '::1', 'fd00::a:0', 'fd00::', '2001:db8::ffff', 'fd00::9'];
  const order = memoizedIpOrder();
  assert.equal([...addresses].sort(order), [...addresses].sort(compareIps));
  assert.equal([...addresses].sort(order), ['::1', '2001:db8::ffff', 'fd00::', 'fd00::9', 'fd00::9', 'fd00::10', 'fd00::a:0']);
  assert.equal(['10.0.0.10', '10.0.0.9', '9.255.255.255'].sort(memoizedIpOrder()), ['9.255.255.255', '10.0.0.9', '10.0.0.10']);
});

test.run();
