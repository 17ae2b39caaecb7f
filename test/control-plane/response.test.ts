// Responses share their body across the streams of a push; each still decodes to exactly the
// fields it was given, its own nonce included.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeResource, resourceFromFields } from '../../control-plane/resource.ts';
import { encodeDeltaDiscoveryResponse, encodeDiscoveryResponse } from '../../control-plane/response.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy } from '../../generated/envoy.js';

const { DiscoveryResponse, DeltaDiscoveryResponse } = envoy.service.discovery.v3;
const { ClusterLoadAssignment } = envoy.config.endpoint.v3;
const test = suite('responses');

const a = encodeResource(TypeUrl.Endpoint, { cluster_name: 'a' });
const b = encodeResource(TypeUrl.Endpoint, { cluster_name: 'b' });
const fields = { version: 'v1', type: TypeUrl.Endpoint, controlPlane: 'kube-xds-test' };
const routeFields = { version: 'v1', type: TypeUrl.Route, controlPlane: 'kube-xds-test' };

test('state of the world: every stream gets the same fields and its own nonce', () => {
  const first = DiscoveryResponse.decode(encodeDiscoveryResponse({ ...fields, nonce: '1', resources: [a, b] }));
  const second = DiscoveryResponse.decode(encodeDiscoveryResponse({ ...fields, nonce: 'zz9', resources: [a, b] }));
  for (const [response, nonce] of [[first, '1'], [second, 'zz9']] as const) {
    assert.is(response.nonce, nonce);
    assert.is(response.version_info, 'v1');
    assert.is(response.type_url, TypeUrl.Endpoint);
    assert.is(response.control_plane?.identifier, 'kube-xds-test');
    assert.equal(response.resources.map((any) => ClusterLoadAssignment.decode(any.value!).cluster_name), ['a', 'b']);
  }
  const other = DiscoveryResponse.decode(encodeDiscoveryResponse({ ...fields, nonce: '2', resources: [b] }));
  assert.is(other.resources.length, 1, 'other resources are not answered from the last body');
  const newer = DiscoveryResponse.decode(encodeDiscoveryResponse({ ...fields, version: 'v2', nonce: '3', resources: [b] }));
  assert.is(newer.version_info, 'v2', 'another version is not answered from the last body');
});

test('delta: resources and removals per stream, the nonce its own', () => {
  const first = DeltaDiscoveryResponse.decode(encodeDeltaDiscoveryResponse({ ...fields, nonce: '7', resources: [a], removed: ['gone'] }));
  const second = DeltaDiscoveryResponse.decode(encodeDeltaDiscoveryResponse({ ...fields, nonce: '8', resources: [a], removed: [] }));
  assert.is(first.nonce, '7');
  assert.equal(first.removed_resources, ['gone']);
  assert.equal(first.resources.map((resource) => resource.name), ['a']);
  assert.is(second.nonce, '8');
  assert.equal(second.removed_resources, [], 'different removals are not answered from the last body');
  assert.equal(second.resources.map((resource) => [resource.name, resource.version]), [['a', a.version]]);
});

test('a resource of many kilobytes keeps its length prefixes right, on both wire formats', () => {
  const endpoints = Array.from({ length: 2_000 }, (_, i) => ({ endpoint: { address: { socket_address: { address: `10.0.${i >> 8}.${i & 255}`, port_value: 8080 } } } }));
  const big = encodeResource(TypeUrl.Endpoint, { cluster_name: 'big', endpoints: [{ lb_endpoints: endpoints }] });
  assert.ok(big.any.length > 16_384, 'a length prefix of three bytes');
  const sotw = DiscoveryResponse.decode(encodeDiscoveryResponse({ ...fields, nonce: '4', resources: [big, a] }));
  assert.equal(sotw.resources.map((any) => ClusterLoadAssignment.decode(any.value!).endpoints?.[0]?.lb_endpoints?.length ?? 0), [2_000, 0]);
  const deltaResponse = DeltaDiscoveryResponse.decode(encodeDeltaDiscoveryResponse({ ...fields, nonce: '5', resources: [big], removed: [] }));
  assert.is(ClusterLoadAssignment.decode(deltaResponse.resources[0]!.resource!.value!).endpoints![0]!.lb_endpoints!.length, 2_000);
  assert.is(deltaResponse.nonce, '5');
});

test('a resource kept in parts goes out as its pieces, the same bytes as once assembled', () => {
  const { RouteConfiguration } = envoy.config.route.v3;
  const field = (name: string) => RouteConfiguration.encode({ virtual_hosts: [{ name, domains: [name] }] }).finish();
  const fields = [RouteConfiguration.encode({ name: 'routes' }).finish(), field('a'), field('b')];
  const inParts = resourceFromFields(TypeUrl.Route, 'routes', fields, 'test-1');
  const fromPieces = encodeDiscoveryResponse({ ...routeFields, nonce: '1', resources: [inParts] });
  const assembled = { ...inParts, any: inParts.any, anyParts: undefined };
  const fromAny = encodeDiscoveryResponse({ ...routeFields, version: 'other', nonce: '1', resources: [assembled] });
  const decoded = DiscoveryResponse.decode(fromPieces);
  assert.equal(RouteConfiguration.decode(decoded.resources[0]!.value!).virtual_hosts.map((host) => host.name), ['a', 'b']);
  assert.equal(decoded.resources[0]!.value, DiscoveryResponse.decode(fromAny).resources[0]!.value);
});

test.run();
