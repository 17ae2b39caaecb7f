// Resources as /debug/config shows them: proto3 JSON decoded from the Any a client was sent.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeResource } from '../../control-plane/resource.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import { envoy, google } from '../../generated/envoy.js';
import { anyToJson } from '../../ops/proto-json.ts';

const Cluster = envoy.config.cluster.v3.Cluster;

test('enums by name, 64-bit integers as strings, Durations and wrappers in their JSON forms', () => {
  const resource = encodeResource(TypeUrl.Cluster, {
    name: 'c',
    type: Cluster.DiscoveryType.EDS,
    connect_timeout: { seconds: 1, nanos: 500_000_000 },
    per_connection_buffer_limit_bytes: { value: 0 },
    max_requests_per_connection: { value: 7 },
    lb_policy: Cluster.LbPolicy.LEAST_REQUEST,
    common_lb_config: { update_merge_window: { seconds: 0, nanos: 10_000_000 } },
  });
  assert.equal(anyToJson(resource.any), {
    '@type': TypeUrl.Cluster,
    name: 'c',
    type: 'EDS',
    connect_timeout: '1.500s',
    per_connection_buffer_limit_bytes: 0,
    max_requests_per_connection: 7,
    lb_policy: 'LEAST_REQUEST',
    common_lb_config: { update_merge_window: '0.010s' },
  });
});

test('Anys are unpacked in place, Structs are JSON, and a type this build does not know stays base64', () => {
  const options = envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
  const known = { type_url: 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', value: options.encode({ explicit_http_config: { http2_protocol_options: {} } }).finish() };
  const unknown = { type_url: 'type.googleapis.com/example.Unknown', value: new Uint8Array([1, 2, 3]) };
  const metadata = google.protobuf.Struct.fromObject({
    fields: { zone: { stringValue: 'a' }, weight: { numberValue: 2 }, on: { boolValue: true }, none: { nullValue: 0 }, list: { listValue: { values: [{ numberValue: 1 }] } } },
  });
  const resource = encodeResource(TypeUrl.Cluster, {
    name: 'c',
    typed_extension_protocol_options: { known, unknown },
    metadata: { filter_metadata: { 'kube-xds.io': metadata } },
  });
  assert.equal(anyToJson(resource.any), {
    '@type': TypeUrl.Cluster,
    name: 'c',
    typed_extension_protocol_options: {
      known: { '@type': known.type_url, explicit_http_config: { http2_protocol_options: {} } },
      unknown: { '@type': unknown.type_url, value: 'AQID' },
    },
    metadata: { filter_metadata: { 'kube-xds.io': { zone: 'a', weight: 2, on: true, none: null, list: [1] } } },
  });
});

test('bytes that are not an Any are refused with an error, not a crash', () => {
  assert.throws(() => anyToJson(new Uint8Array([0xff, 0xff, 0xff])));
});

test.run();
