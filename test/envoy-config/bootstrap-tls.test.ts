// Bootstraps that reach the control plane's TLS port: gRFC A65 `tls` channel credentials for
// gRPC clients, an UpstreamTlsContext on Envoy's xds_cluster. Envoy's validator takes them
// with real files, and the CLI refuses flags that cannot make a working bootstrap.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
import { envoyBootstrapYaml, grpcBootstrap, type EnvoyBootstrapInput } from '../../envoy-config/index.ts';
import { checkEnvoyMessage } from '../support/envoy-check/index.ts';
import { envoyValidatesBootstrap } from '../support/envoy-validate.ts';
import { TestPki, type Issued } from '../support/test-pki.ts';

interface World {
  dir: string;
  ca: string;
  client: Issued;
}

const test = suite<World>('TLS bootstraps', {} as World);

test.before(async (world) => {
  world.dir = await mkdtemp(join(tmpdir(), 'kube-xds-bootstrap-tls-'));
  const pki = new TestPki(world.dir);
  world.ca = pki.ca('ca');
  world.client = pki.issue('client', { sans: ['URI:spiffe://cluster.local/ns/demo/sa/gateway'], usage: 'client' });
});

test.after(async ({ dir }) => {
  await rm(dir, { recursive: true, force: true });
});

const envoyInput = { nodeId: 'pod-1', nodeCluster: 'demo', xdsHost: 'kube-xds.kube-xds.svc', xdsPort: 18443 } as const;
const xdsCluster = (input: EnvoyBootstrapInput) => parse(envoyBootstrapYaml(input)).static_resources.clusters.find((cluster: { name: string }) => cluster.name === 'xds_cluster');

test('gRPC: tls channel credentials name the CA, and for mutual TLS the certificate and key; plaintext stays insecure', () => {
  const server = (tls?: Parameters<typeof grpcBootstrap>[0]['tls']) => grpcBootstrap({ serverUri: 'kube-xds.kube-xds.svc:18443', nodeId: 'app', ...(tls && { tls }) }).xds_servers[0]!;
  assert.equal(server().channel_creds, [{ type: 'insecure' }]);
  assert.equal(server({ caFile: '/tls/ca.crt' }).channel_creds, [{ type: 'tls', config: { ca_certificate_file: '/tls/ca.crt' } }]);
  assert.equal(server({ caFile: '/tls/ca.crt', certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' }).channel_creds, [
    { type: 'tls', config: { ca_certificate_file: '/tls/ca.crt', certificate_file: '/tls/tls.crt', private_key_file: '/tls/tls.key' } },
  ]);
  assert.equal(server({ caFile: '/tls/ca.crt' }).server_features, ['xds_v3']);
  assert.throws(() => server({ caFile: '/tls/ca.crt', certFile: '/tls/tls.crt' }), /a client certificate needs its key/);
});

test('Envoy: xds_cluster speaks TLS with ALPN h2, trusts the CA, and checks the name it dials (or the one given) among the SANs', () => {
  assert.is(xdsCluster({ role: 'gateway', ...envoyInput }).transport_socket, undefined, 'plaintext without TLS');
  const byName = xdsCluster({ role: 'gateway', ...envoyInput, xdsTls: { caFile: '/tls/ca.crt' } }).transport_socket;
  assert.is(byName.name, 'envoy.transport_sockets.tls');
  assert.equal(byName.typed_config, {
    '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    sni: 'kube-xds.kube-xds.svc',
    common_tls_context: {
      alpn_protocols: ['h2'],
      validation_context: { trusted_ca: { filename: '/tls/ca.crt' }, match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'kube-xds.kube-xds.svc' } }] },
    },
  });
  const byIp = xdsCluster({ role: 'sidecar', ...envoyInput, xdsHost: '10.0.0.9', xdsTls: { caFile: '/tls/ca.crt' } }).transport_socket.typed_config;
  assert.is(byIp.sni, undefined, 'no SNI for an IP address');
  assert.equal(byIp.common_tls_context.validation_context.match_typed_subject_alt_names, [{ san_type: 'IP_ADDRESS', matcher: { exact: '10.0.0.9' } }]);
  const named = xdsCluster({ role: 'sidecar', ...envoyInput, xdsHost: '10.0.0.9', xdsTls: { caFile: '/tls/ca.crt', serverName: 'kube-xds.kube-xds.svc.cluster.local' } }).transport_socket.typed_config;
  assert.is(named.sni, 'kube-xds.kube-xds.svc.cluster.local');
  assert.equal(named.common_tls_context.validation_context.match_typed_subject_alt_names, [{ san_type: 'DNS', matcher: { exact: 'kube-xds.kube-xds.svc.cluster.local' } }]);
  const mutual = xdsCluster({ role: 'gateway', ...envoyInput, xdsTls: { caFile: '/tls/ca.crt', certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' } }).transport_socket.typed_config;
  assert.equal(mutual.common_tls_context.tls_certificates, [{ certificate_chain: { filename: '/tls/tls.crt' }, private_key: { filename: '/tls/tls.key' } }]);
  const { '@type': _type, ...context } = mutual;
  assert.equal(checkEnvoyMessage('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', context), [], 'the context passes the proto rules');
});

test("Envoy's validator takes TLS and mutual-TLS bootstraps of both roles, with the files in place", async (world) => {
  const tls = { caFile: world.ca };
  const mutual = { caFile: world.ca, certFile: world.client.cert, keyFile: world.client.key };
  const inputs: EnvoyBootstrapInput[] = [
    { role: 'gateway', ...envoyInput, xdsTls: tls },
    { role: 'sidecar', ...envoyInput, xdsHost: '127.0.0.1', xdsTls: tls },
    { role: 'gateway', ...envoyInput, xdsTls: { ...mutual, serverName: 'kube-xds.kube-xds.svc.cluster.local' } },
    { role: 'sidecar', ...envoyInput, xdsTls: mutual },
  ];
  const verdicts = await Promise.all(inputs.map((input) => envoyValidatesBootstrap(envoyBootstrapYaml(input))));
  assert.equal(verdicts, inputs.map(() => ({ ok: true, message: '' })));
  // The validator reads the files: one that is not there is refused.
  const missing = await envoyValidatesBootstrap(envoyBootstrapYaml({ role: 'sidecar', ...envoyInput, xdsTls: { caFile: join(world.dir, 'missing.crt') } }));
  assert.not.ok(missing.ok, 'a missing CA file is refused');
});

test('bootstrap flags: --tls-ca-file turns TLS on; a certificate needs its key and the CA; --tls-server-name is for Envoy over TLS', () => {
  const grpc = (...args: string[]) => JSON.parse(bootstrapText(['grpc', '--xds-address', 'kube-xds.kube-xds.svc:18443', '--node-id', 'app', ...args])).xds_servers[0].channel_creds;
  assert.equal(grpc('--tls-ca-file', '/c/ca.crt', '--tls-cert-file', '/c/tls.crt', '--tls-key-file', '/c/tls.key'), [
    { type: 'tls', config: { ca_certificate_file: '/c/ca.crt', certificate_file: '/c/tls.crt', private_key_file: '/c/tls.key' } },
  ]);
  assert.throws(() => grpc('--tls-cert-file', '/c/tls.crt', '--tls-key-file', '/c/tls.key'), /--tls-cert-file needs --tls-ca-file/);
  assert.throws(() => grpc('--tls-ca-file', '/c/ca.crt', '--tls-key-file', '/c/tls.key'), /--tls-key-file needs --tls-cert-file/);
  assert.throws(() => grpc('--tls-ca-file', '/c/ca.crt', '--tls-cert-file', '/c/tls.crt'), /--tls-cert-file needs --tls-key-file/);
  assert.throws(() => grpc('--tls-ca-file', '/c/ca.crt', '--tls-server-name', 'x'), /unknown flag --tls-server-name/);

  const envoy = (...args: string[]) => parse(bootstrapText(['envoy', '--role', 'sidecar', '--xds-address', '10.0.0.9:18443', '--node-id', 'e', ...args]));
  const named = envoy('--tls-ca-file', '/c/ca.crt', '--tls-server-name', 'kube-xds.kube-xds.svc').static_resources.clusters[0].transport_socket.typed_config;
  assert.is(named.sni, 'kube-xds.kube-xds.svc');
  assert.throws(() => envoy('--tls-server-name', 'kube-xds.kube-xds.svc'), /--tls-server-name needs --tls-ca-file/);
  assert.throws(() => envoy('--tls-key-file', '/c/tls.key'), /--tls-key-file needs --tls-ca-file/);
});

test.run();
