import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envName, formatBytes, helpRequested, joinHostPort, parseAddress, parseBytes, parseCount, parseDurationMs, parseFlags, type FlagSpec } from '../../bin/flags.ts';
import { serveConfig, serveFlags } from '../../bin/serve.ts';

const specs: FlagSpec[] = [
  { name: 'xds-address', value: 'HOST:PORT', default: '0.0.0.0:18000', help: '' },
  { name: 'namespace', value: 'NS', repeatable: true, help: '' },
  { name: 'verbose', help: '' },
];

test('flags take --name value and --name=value; repeatable ones collect', () => {
  const flags = parseFlags(specs, ['--xds-address=1.2.3.4:5', '--namespace', 'a', '--namespace=b', '--verbose'], {});
  assert.equal(flags.get('xds-address'), ['1.2.3.4:5']);
  assert.equal(flags.get('namespace'), ['a', 'b']);
  assert.equal(flags.get('verbose'), ['true']);
});

test('environment variables fill in flags not given; lists are comma-separated; flags win', () => {
  const env = { KUBE_XDS_NAMESPACE: 'a, b,,c', KUBE_XDS_XDS_ADDRESS: '9.9.9.9:1' };
  const fromEnv = parseFlags(specs, [], env);
  assert.equal(fromEnv.get('namespace'), ['a', 'b', 'c']);
  assert.equal(fromEnv.get('xds-address'), ['9.9.9.9:1']);
  assert.equal(parseFlags(specs, ['--xds-address', '1.1.1.1:2'], env).get('xds-address'), ['1.1.1.1:2']);
  assert.equal(parseFlags(specs, [], {}).get('xds-address'), ['0.0.0.0:18000']);
  assert.is(envName('admin-address'), 'KUBE_XDS_ADMIN_ADDRESS');
});

test('mistakes are refused with the flag named', () => {
  assert.throws(() => parseFlags(specs, ['--nope'], {}), /unknown flag --nope/);
  assert.throws(() => parseFlags(specs, ['--xds-address'], {}), /--xds-address needs a value/);
  assert.throws(() => parseFlags(specs, ['--xds-address', 'a:1', '--xds-address', 'b:2'], {}), /only once/);
  assert.throws(() => parseFlags(specs, ['stray'], {}), /unexpected argument "stray"/);
  assert.throws(() => parseFlags(specs, ['-x'], {}), /unknown flag -x/);
  assert.throws(() => parseFlags(specs, ['--verbose=no'], {}), /--verbose takes no value/);
  assert.throws(() => parseFlags(specs, ['--xds-address', '--namespace', 'a'], {}), /--xds-address needs a value \(HOST:PORT\)/);
  assert.equal(parseFlags(specs, ['--namespace=-a'], {}).get('namespace'), ['-a']);
  assert.throws(() => parseFlags(specs, ['--', '--verbose'], {}), /unexpected argument "--verbose"/);
});

test('-h and --help are found before a --', () => {
  assert.ok(helpRequested(['--xds-address', 'a:1', '-h']));
  assert.ok(helpRequested(['grpc', '--help']));
  assert.not.ok(helpRequested(['--xds-address=-h']));
  assert.not.ok(helpRequested(['--', '--help']));
});

test('addresses and durations are validated', () => {
  assert.equal(parseAddress('x', '[::]:18000'), { host: '::', port: 18000 });
  assert.is(joinHostPort('::', 18000), '[::]:18000');
  assert.is(joinHostPort('10.0.0.1', 1), '10.0.0.1:1');
  assert.equal(parseAddress('x', 'kube-xds.kube-xds.svc:18000'), { host: 'kube-xds.kube-xds.svc', port: 18000 });
  assert.throws(() => parseAddress('x', 'nohost'), /--x must be HOST:PORT/);
  assert.throws(() => parseAddress('x', 'h:70000'), /HOST:PORT/);
  assert.is(parseDurationMs('d', '10ms'), 10);
  assert.is(parseDurationMs('d', '2s'), 2_000);
  assert.is(parseDurationMs('d', '1.5s'), 1_500);
  assert.is(parseDurationMs('d', '1m'), 60_000);
  assert.is(parseDurationMs('d', '1h'), 3_600_000);
  assert.is(parseDurationMs('d', '0'), 0);
  assert.throws(() => parseDurationMs('d', '7'), /--d needs a unit: 7ms, 7s, 7m or 7h\?/);
  assert.throws(() => parseDurationMs('d', '5 minutes'), /--d must be a duration/);
  assert.throws(() => parseDurationMs('d', '-1s'), /--d must be a duration/);
});

test('counts and byte sizes are validated', () => {
  assert.is(parseCount('n', '250'), 250);
  for (const text of ['0', '-3', '1.5', 'many', '']) assert.throws(() => parseCount('n', text), /--n must be a whole number of at least 1/);
  assert.is(parseBytes('b', '4096'), 4096);
  assert.is(parseBytes('b', '512Ki'), 512 * 1024);
  assert.is(parseBytes('b', '16Mi'), 16 * 1024 * 1024);
  assert.is(parseBytes('b', '1Gi'), 1024 ** 3);
  for (const text of ['100', '16MB', '1.5Mi', 'lots']) assert.throws(() => parseBytes('b', text), /--b must be a size of at least 1Ki/);
  assert.is(formatBytes(32 * 1024 * 1024), '32Mi');
  assert.is(formatBytes(1500), '1500');
});

test('serve config: defaults, file source, filters, and clear errors', () => {
  const defaults = serveConfig(parseFlags(serveFlags, [], {}));
  assert.equal(defaults.xds, { host: '0.0.0.0', port: 18000 });
  assert.equal(defaults.admin, { host: '127.0.0.1', port: 18080 }, 'the debug views stay on loopback unless asked');
  assert.equal(defaults.probe, { host: '0.0.0.0', port: 18081 }, 'kubelet and Prometheus reach the probe address');
  assert.equal(defaults.source, { kind: 'kubernetes', kubeconfig: undefined });
  assert.is(defaults.coalesceWindowMs, 10);
  assert.is(defaults.coalesceMaxDelayMs, 100);
  assert.ok(Object.isFrozen(defaults));
  assert.is(defaults.ads.maxStreams, 10_000);
  assert.is(defaults.ads.maxRequestBytes, 16 * 1024 * 1024);
  const limited = serveConfig(parseFlags(serveFlags, ['--max-streams-per-connection', '4', '--max-pending-response-bytes', '8Mi', '--request-burst', '50'], {}));
  assert.equal([limited.ads.maxStreamsPerConnection, limited.ads.maxPendingResponseBytes, limited.ads.requestBurst], [4, 8 * 1024 * 1024, 50]);

  const custom = serveConfig(parseFlags(serveFlags, ['--source', 'file:/tmp/x', '--namespace', 'a', '--selector', 'app=web,tier!=db', '--gateway-port', '80', '--gateway-port', '443'], {}));
  assert.equal(custom.source, { kind: 'file', dir: '/tmp/x' });
  assert.equal(custom.namespaces, ['a']);
  assert.equal(custom.envoy.gatewayPorts, [80, 443]);
  assert.ok(custom.selector);

  const bad = (argv: string[], pattern: RegExp) => assert.throws(() => serveConfig(parseFlags(serveFlags, argv, {})), pattern);
  bad(['--source', 'etcd'], /--source must be "kubernetes" or file:DIR/);
  bad(['--namespace', 'Bad_NS'], /not a valid namespace name/);
  bad(['--selector', 'a in (b'], /--selector/);
  bad(['--log-level', 'loud'], /--log-level must be one of/);
  bad(['--gateway-port', '0'], /--gateway-port must be a port/);
  bad(['--coalesce-window', '200ms'], /--coalesce-max-delay must not be shorter/);
  bad(['--probe-address', '127.0.0.1:18080'], /--probe-address and --admin-address are both 127\.0\.0\.1:18080/);
  bad(['--probe-address', 'nohost'], /--probe-address must be HOST:PORT/);
  bad(['--max-streams', '0'], /--max-streams must be a whole number/);
  bad(['--max-request-bytes', '10'], /--max-request-bytes must be a size/);
  assert.equal(serveConfig(parseFlags(serveFlags, ['--admin-address', '127.0.0.1:0', '--probe-address', '127.0.0.1:0'], {})).probe, { host: '127.0.0.1', port: 0 });
});

test.run();
