// The fleet benchmark's hand-written protobuf reading and writing agrees with protobufjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy, google } from '../../generated/envoy.js';
import { addressesOf, discoveryResponse, endpointGeneration, field, generationOf, readRequestHead, readResponseHead, RequestField } from './fleet-wire.ts';

const discovery = envoy.service.discovery.v3;

function assignmentAny(addresses: readonly string[]): Uint8Array {
  const value = envoy.config.endpoint.v3.ClusterLoadAssignment.encode({
    cluster_name: 'outbound|50051||hot.fleet.svc.cluster.local',
    endpoints: [
      {
        locality: { zone: 'zone-a' },
        lb_endpoints: addresses.map((address) => ({
          endpoint: { address: { socket_address: { address, port_value: 8080 } } },
          health_status: envoy.config.core.v3.HealthStatus.HEALTHY,
          load_balancing_weight: { value: 1 },
        })),
        load_balancing_weight: { value: addresses.length },
      },
    ],
  }).finish();
  return google.protobuf.Any.encode({ type_url: TypeUrl.Endpoint, value }).finish();
}

test('generations survive the trip through addresses', () => {
  for (const generation of [0, 1, 255, 256, 600]) {
    for (const address of addressesOf(generation, 3)) assert.is(generationOf(address), generation);
  }
  assert.is(generationOf('192.168.0.1'), -1);
  assert.is(generationOf('10.1.2.3'), -1);
});

test('a response head holds what protobufjs encoded, and the endpoints generation', () => {
  const bytes = discovery.DiscoveryResponse.encode({
    version_info: 'v-17',
    resources: [google.protobuf.Any.decode(assignmentAny(addressesOf(300, 64)))],
    type_url: TypeUrl.Endpoint,
    nonce: 'n-42',
    control_plane: { identifier: 'somewhere' },
  }).finish();
  const head = readResponseHead(bytes);
  assert.is(head.typeUrl, TypeUrl.Endpoint);
  assert.is(Buffer.from(head.version).toString(), 'v-17');
  assert.is(Buffer.from(head.nonce).toString(), 'n-42');
  assert.is(head.resources, 1);
  assert.is(endpointGeneration(bytes, head), 300);
});

test('an endpoints response without endpoints has no generation', () => {
  const empty = discoveryResponse(TypeUrl.Endpoint, 'v', 'n', [assignmentAny([])]);
  assert.is(endpointGeneration(empty, readResponseHead(empty)), -1);
  const none = discoveryResponse(TypeUrl.Endpoint, 'v', 'n', []);
  const head = readResponseHead(none);
  assert.is(head.resources, 0);
  assert.is(endpointGeneration(none, head), -1);
});

test('discoveryResponse and field encode what protobufjs decodes', () => {
  const anys = [assignmentAny(addressesOf(1, 2)), assignmentAny(addressesOf(2, 2))];
  const response = discovery.DiscoveryResponse.decode(discoveryResponse(TypeUrl.Endpoint, 'floor-1', 'x', anys));
  assert.is(response.version_info, 'floor-1');
  assert.is(response.nonce, 'x');
  assert.is(response.type_url, TypeUrl.Endpoint);
  assert.is(response.resources.length, 2);

  const long = 'n'.repeat(300); // a two-byte length
  const request = discovery.DiscoveryRequest.decode(
    Buffer.concat([field(RequestField.version, 'v1'), field(RequestField.names, 'a'), field(RequestField.names, 'b'), field(RequestField.typeUrl, TypeUrl.Cluster), field(RequestField.nonce, long)]),
  );
  assert.equal(
    { version: request.version_info, names: request.resource_names, type: request.type_url, nonce: request.response_nonce },
    { version: 'v1', names: ['a', 'b'], type: TypeUrl.Cluster, nonce: long },
  );
});

test('a request head tells a subscription from an ACK', () => {
  const node = discovery.DiscoveryRequest.encode({ node: { id: 'x', locality: { zone: 'a' } }, type_url: TypeUrl.Listener, resource_names: ['l'] }).finish();
  assert.equal(readRequestHead(node), { typeUrl: TypeUrl.Listener, acknowledges: false });
  const ack = discovery.DiscoveryRequest.encode({ version_info: '1', type_url: TypeUrl.Route, resource_names: ['r'], response_nonce: '7' }).finish();
  assert.equal(readRequestHead(ack), { typeUrl: TypeUrl.Route, acknowledges: true });
});

test.run();
