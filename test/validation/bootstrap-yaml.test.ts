// Envoy's bootstrap YAML through the proto3 JSON mapping, then the same checks as xDS resources.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkProtoJson, checkProtoYaml, parseProtoYaml } from '../support/envoy-check/index.ts';
import { bootstrapYaml } from './examples.ts';
import { found } from './found.ts';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function edited(from: string, to: string): string {
  assert.ok(bootstrapYaml.includes(from), `the example has ${JSON.stringify(from)}`);
  return bootstrapYaml.replace(from, to);
}

test('the example bootstrap passes', () => {
  assert.equal(checkProtoYaml(BOOTSTRAP, bootstrapYaml), []);
});

test('proto3 JSON forms are read: durations, Struct, wrappers, 64-bit strings, enum names, camelCase names', () => {
  const { message, problems } = parseProtoYaml(BOOTSTRAP, bootstrapYaml);
  assert.equal(problems, []);
  const parsed = JSON.parse(JSON.stringify(message, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value)));
  assert.equal(parsed.static_resources.clusters[0].connect_timeout, { seconds: '0n', nanos: 250_000_000 });
  assert.equal(parsed.node.metadata.fields['kube-xds.io/role'], { stringValue: 'gateway' });
  assert.equal(parsed.node.metadata.fields.replicas, { numberValue: 3 });
  assert.equal(parsed.node.metadata.fields.labels, { structValue: { fields: { tier: { stringValue: 'edge' } } } });
  assert.equal(parsed.stats_server_version_override, { value: '18446744073709551615n' });
  assert.equal(parsed.dynamic_resources.lds_config, { ads: {}, resource_api_version: 2 });
  assert.equal(parsed.dynamic_resources.ads_config.api_type, 2);
});

test('a bad duration is rejected where it stands', () => {
  const path = 'static_resources.clusters[0].connect_timeout';
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited('connect_timeout: 0.25s', 'connect_timeout: 250ms'))), [`${path} json.duration`]);
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited('connect_timeout: 0.25s', 'connect_timeout: 1'))), [`${path} json.duration`]);
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited('connect_timeout: 0.25s', 'connect_timeout: 0s'))), [`${path} duration.gt`]);
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited('connect_timeout: 0.25s', 'connect_timeout: -1s'))), [
    `${path} duration.gt`,
    `${path} envoy.duration_range`,
  ]);
});

test('an unknown field, a field given twice, an unknown enum name', () => {
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited('connect_timeout:', 'conect_timeout:'))), [
    'static_resources.clusters[0].conect_timeout json.unknown_field',
  ]);
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited('type: STRICT_DNS', 'type: STRICT_DNS\n      connectTimeout: 2s'))), [
    'static_resources.clusters[0].connect_timeout json.duplicate_field',
  ]);
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited('type: STRICT_DNS', 'type: STRICTER_DNS'))), ['static_resources.clusters[0].type json.enum_value']);
});

test('numbers: 64-bit values as strings or numbers, not as words', () => {
  assert.equal(checkProtoYaml(BOOTSTRAP, edited('"18446744073709551615"', '18446744073709551615')), []);
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited('"18446744073709551615"', 'lots'))), ['stats_server_version_override json.type']);
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited('port_value: 9901', 'port_value: 99010'))), ['admin.address.socket_address.port_value uint32.lte']);
});

test('Any: "@type" must name a loaded type, and the packed message is validated', () => {
  const base = `static_resources.clusters[0].typed_extension_protocol_options["${PROTOCOL_OPTIONS}"]`;
  const unknown = edited(`"@type": type.googleapis.com/${PROTOCOL_OPTIONS}`, '"@type": type.googleapis.com/envoy.Nope');
  assert.equal(found(checkProtoYaml(BOOTSTRAP, unknown)), [`${base} any.unknown_type`]);
  assert.equal(found(checkProtoYaml(BOOTSTRAP, edited(`"@type": type.googleapis.com/${PROTOCOL_OPTIONS}`, ''))), [`${base} json.any_type`]);
  const negative = edited('interval: 30s', 'interval: 0.0001s');
  assert.equal(found(checkProtoYaml(BOOTSTRAP, negative)), [
    `${base}<${PROTOCOL_OPTIONS}>.explicit_http_config.http2_protocol_options.connection_keepalive.interval duration.gte`,
  ]);
});

test('a static listener: paths run through the packed HttpConnectionManager', () => {
  const listener = `
  listeners:
    - name: ingress
      address: { socket_address: { address: 0.0.0.0, port_value: 8080 } }
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/${HCM}
                rds: { route_config_name: ingress, config_source: { ads: {} } }
                http_filters:
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
                  - name: envoy.filters.http.fault
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault }
`;
  const problems = checkProtoYaml(BOOTSTRAP, edited('static_resources:\n', `static_resources:\n${listener}`));
  const hcm = `static_resources.listeners[0].filter_chains[0].filters[0].typed_config<${HCM}>`;
  assert.equal(found(problems), [`${hcm}.http_filters envoy.router_last`, `${hcm}.http_filters[0] envoy.router_last`, `${hcm}.stat_prefix string.min_len`]);
});

test('YAML that does not parse', () => {
  assert.equal(found(checkProtoYaml(BOOTSTRAP, 'node: [unclosed')), [' yaml.syntax']);
  assert.equal(found(checkProtoYaml(BOOTSTRAP, 'node: {}\nnode: {}')), [' yaml.syntax']);
});

test('JSON documents follow the same mapping', () => {
  const document = { node: { id: 'n' }, statsFlushInterval: '301s', layeredRuntime: { layers: [{ name: 'l', staticLayer: { a: [1, null, 'x'] } }] } };
  assert.equal(found(checkProtoJson(BOOTSTRAP, document)), ['stats_flush_interval duration.lt']);
});

test.run();
