// Envoy's own validator (the pinned Envoy, `envoy --mode validate`) on what kube-xds sends and
// prints: every mode's resources and both Envoy bootstraps pass; deliberate mistakes, made by
// changing builder output, fail with Envoy's own message, so the validation is no no-op.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildResourceSet, clientClasses, envoyBootstrapYaml, envoyConfigOptions, type ClientClass } from '../../envoy-config/index.ts';
import { envoy } from '../../generated/envoy.js';
import { encodeSet } from '../envoy-config/support/readable.ts';
import { routedModel } from '../envoy-config/support/routed-model.ts';
import { sampleModel } from '../envoy-config/support/sample-model.ts';
import { envoyValidatesBootstrap, envoyValidatesResources } from '../support/envoy-validate.ts';

const passes = { ok: true, message: '' };
const HttpConnectionManager = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
const HTTPFault = envoy.extensions.filters.http.fault.v3.HTTPFault;
const faultFilter = { name: 'envoy.filters.http.fault', typed_config: { type_url: HTTPFault.getTypeUrl(), value: new Uint8Array() } };

const optionVariants = [
  envoyConfigOptions(),
  envoyConfigOptions({ accessLog: true, gatewayPorts: [8080, 9090], maxStreamDurationMs: 0, grpcNumRetries: 0 }),
  envoyConfigOptions({ clusterDomain: 'corp.example', connectTimeoutMs: 250, maxStreamDurationMs: 1_500 }),
];

/** The sample model's resources as freshly decoded messages, free to change. */
function sampleSet(clientClass: ClientClass) {
  const bytes = encodeSet(buildResourceSet(sampleModel, clientClass, envoyConfigOptions()));
  return {
    listeners: bytes.listeners.map((listener) => envoy.config.listener.v3.Listener.decode(listener)),
    routes: bytes.routes.map((routes) => envoy.config.route.v3.RouteConfiguration.decode(routes)),
    clusters: bytes.clusters.map((cluster) => envoy.config.cluster.v3.Cluster.decode(cluster)),
    endpoints: bytes.endpoints.map((assignment) => envoy.config.endpoint.v3.ClusterLoadAssignment.decode(assignment)),
  };
}

/** Changes the HCM of a listener: its API listener's, or its first filter's. */
function editConnectionManager(listener: envoy.config.listener.v3.Listener, edit: (hcm: InstanceType<typeof HttpConnectionManager>) => void): void {
  const any = listener.api_listener?.api_listener ?? listener.filter_chains![0]!.filters![0]!.typed_config!;
  const hcm = HttpConnectionManager.decode(any.value!);
  edit(hcm);
  any.value = HttpConnectionManager.encode(hcm).finish();
}

for (const clientClass of clientClasses) {
  test(`${clientClass}: the resources pass Envoy's validator (every option variant, as objects and as bytes, an empty model)`, async () => {
    const sets = [
      ...optionVariants.map((options) => buildResourceSet(sampleModel, clientClass, options)),
      encodeSet(buildResourceSet(sampleModel, clientClass, envoyConfigOptions())),
      buildResourceSet([], clientClass, envoyConfigOptions()),
    ];
    const verdicts = await Promise.all(sets.map((set) => envoyValidatesResources(set, clientClass)));
    assert.equal(verdicts, sets.map(() => passes));
  });
}

for (const clientClass of clientClasses) {
  test(`${clientClass}: Services with Gateway API routes pass Envoy's validator (every option variant, as bytes)`, async () => {
    const sets = [...optionVariants.map((options) => buildResourceSet(routedModel, clientClass, options)), encodeSet(buildResourceSet(routedModel, clientClass, envoyConfigOptions()))];
    const verdicts = await Promise.all(sets.map((set) => envoyValidatesResources(set, clientClass)));
    assert.equal(verdicts, sets.map(() => passes));
  });
}

test('a regular expression RE2 cannot compile fails the whole RouteConfiguration (why route-support.ts leaves such an entry out)', async () => {
  const bytes = encodeSet(buildResourceSet(routedModel, 'sidecar', envoyConfigOptions()));
  const routes = bytes.routes.map((route) => envoy.config.route.v3.RouteConfiguration.decode(route));
  const sidecar = routes.find((route) => route.name === 'sidecar_50051')!;
  const regexRoute = sidecar.virtual_hosts!.flatMap((host) => host.routes!).find((route) => route.match?.safe_regex)!;
  regexRoute.match!.safe_regex!.regex = '/(?!admin)[^/]+/Get';
  const verdict = await envoyValidatesResources({ ...bytes, routes }, 'sidecar');
  assert.not.ok(verdict.ok);
  assert.match(verdict.message, /invalid perl operator: \(\?!/);
});

test('both Envoy bootstraps pass, with the control plane by name and by IP', async () => {
  const inputs = (['gateway', 'sidecar'] as const).flatMap((role) =>
    ['kube-xds.kube-xds.svc', '10.96.0.10'].map((xdsHost) => ({ role, nodeId: `${role}-1`, nodeCluster: 'demo', xdsHost, xdsPort: 18000 })),
  );
  const verdicts = await Promise.all(inputs.map((input) => envoyValidatesBootstrap(envoyBootstrapYaml(input))));
  assert.equal(verdicts, inputs.map(() => passes));
});

test('a domain in two virtual hosts of the gateway RouteConfiguration, in any case; two wildcards', async () => {
  for (const spelling of [(domain: string) => domain, (domain: string) => domain.toUpperCase()]) {
    const set = sampleSet('gateway');
    const [first, second] = set.routes[0]!.virtual_hosts!;
    const domain = first!.domains![0]!;
    second!.domains!.push(spelling(domain));
    const message = `Only unique values for domains are permitted. Duplicate entry of domain ${domain} in route ${set.routes[0]!.name}`;
    assert.equal(await envoyValidatesResources(set, 'gateway'), { ok: false, message });
  }
  const set = sampleSet('gateway');
  for (const host of set.routes[0]!.virtual_hosts!.slice(0, 2)) host.domains!.push('*');
  const message = `Only a single wildcard domain is permitted in route ${set.routes[0]!.name}`;
  assert.equal(await envoyValidatesResources(set, 'gateway'), { ok: false, message });
});

test('RouteConfigurations are validated where no listener names them, and inside a proxyless listener', async () => {
  const gateway = sampleSet('gateway');
  const spare = sampleSet('gateway').routes[0]!;
  spare.name = 'spare';
  const domain = spare.virtual_hosts![0]!.domains![0]!;
  spare.virtual_hosts![1]!.domains!.push(domain);
  gateway.routes.push(spare);
  const spareMessage = `Only unique values for domains are permitted. Duplicate entry of domain ${domain} in route spare`;
  assert.equal(await envoyValidatesResources(gateway, 'gateway'), { ok: false, message: spareMessage });
  const proxyless = sampleSet('proxyless');
  const domains = proxyless.routes[0]!.virtual_hosts![0]!.domains!;
  domains.push(domains[0]!);
  const message = `Only unique values for domains are permitted. Duplicate entry of domain ${domains[0]} in route ${proxyless.routes[0]!.name}`;
  assert.equal(await envoyValidatesResources(proxyless, 'proxyless'), { ok: false, message });
});

test('two sidecar listeners on one address, also with the IPv6 literal spelled differently', async () => {
  const set = sampleSet('sidecar');
  const copy = sampleSet('sidecar').listeners[0]!;
  copy.name = 'copy';
  set.listeners.push(copy);
  const { address, port_value: port } = copy.address!.socket_address!;
  const message =
    `error adding listener: 'copy' has duplicate address '${address}:${port}' as existing listener, to check if the listener ` +
    "has duplicated addresses with other listeners or 'enable_reuse_port' is set to 'false' for the listener";
  assert.equal(await envoyValidatesResources(set, 'sidecar'), { ok: false, message });
  const [a, b] = [sampleSet('sidecar').listeners[0]!, sampleSet('sidecar').listeners[0]!];
  a.name = 'a';
  b.name = 'b';
  a.address = { socket_address: { address: '::1', port_value: 9000 } };
  b.address = { socket_address: { address: '0:0:0:0:0:0:0:1', port_value: 9000 } };
  const ipv6 = await envoyValidatesResources({ ...sampleSet('sidecar'), listeners: [a, b] }, 'sidecar');
  assert.match(ipv6.message, /^error adding listener: 'b' has duplicate address '\[::1\]:9000' as existing listener/);
});

test('the router filter not last, or a chain ending in another filter (gateway and proxyless)', async () => {
  const routerFirst =
    'Error: terminal filter named envoy.filters.http.router of type envoy.filters.http.router must be the last filter in a http filter chain.';
  for (const clientClass of ['gateway', 'proxyless'] as const) {
    const set = sampleSet(clientClass);
    editConnectionManager(set.listeners[0]!, (hcm) => hcm.http_filters!.push(faultFilter));
    assert.equal(await envoyValidatesResources(set, clientClass), { ok: false, message: routerFirst }, clientClass);
  }
  const set = sampleSet('gateway');
  editConnectionManager(set.listeners[0]!, (hcm) => (hcm.http_filters = [faultFilter]));
  const faultLast = 'Error: non-terminal filter named envoy.filters.http.fault of type envoy.filters.http.fault is the last filter in a http filter chain.';
  assert.equal(await envoyValidatesResources(set, 'gateway'), { ok: false, message: faultLast });
});

test('protoc-gen-validate rules and durations: connect_timeout zero or negative, an endpoint port of 70000', async () => {
  const verdict = async (edit: (set: ReturnType<typeof sampleSet>) => void) => {
    const set = sampleSet('gateway');
    edit(set);
    return envoyValidatesResources(set, 'gateway');
  };
  const zero = await verdict((set) => (set.clusters[0]!.connect_timeout = { seconds: 0 }));
  assert.match(zero.message, /^Proto constraint validation failed \(.* caused by ClusterValidationError\.ConnectTimeout: value must be greater than 0s\)$/);
  const negative = await verdict((set) => (set.clusters[0]!.connect_timeout = { seconds: -1 }));
  assert.equal(negative, { ok: false, message: 'Invalid duration: Expected positive duration: seconds: -1' });
  const port = await verdict((set) => (set.endpoints[0]!.endpoints![0]!.lb_endpoints![0]!.endpoint!.address!.socket_address!.port_value = 70_000));
  assert.match(port.message, /^Proto constraint validation failed \(.* caused by SocketAddressValidationError\.PortValue: value must be less than or equal to 65535\)$/);
});

test('a bootstrap with an unknown field, a duration Envoy cannot read, YAML that does not parse', async () => {
  const yaml = envoyBootstrapYaml({ role: 'gateway', nodeId: 'gateway-1', nodeCluster: 'demo', xdsHost: 'kube-xds.kube-xds.svc', xdsPort: 18000 });
  const edited = (from: string, to: string) => {
    assert.ok(yaml.includes(from), from);
    return envoyValidatesBootstrap(yaml.replace(from, to));
  };
  const unknown = await edited('connect_timeout:', 'conect_timeout:');
  assert.match(unknown.message, /^Protobuf message \(type envoy\.config\.bootstrap\.v3\.Bootstrap reason INVALID_ARGUMENT: invalid JSON in envoy\.config\.bootstrap\.v3\.Bootstrap @ static_resources\.clusters\[0\]: message envoy\.config\.cluster\.v3\.Cluster, near .*: no such field: 'conect_timeout'\) has unknown fields$/);
  const duration = await edited('connect_timeout: 5s', 'connect_timeout: 250ms');
  assert.match(duration.message, /^Unable to parse JSON as proto \(INVALID_ARGUMENT: invalid JSON in envoy\.config\.bootstrap\.v3\.Bootstrap @ static_resources\.clusters\[0\]\.connect_timeout: message google\.protobuf\.Duration, near .*: duration must end with a single 's'\)/);
  assert.equal(await edited('node:', 'node: [unclosed\nx:'), { ok: false, message: 'yaml-cpp: error at line 2, column 2: end of sequence flow not found' });
});

test.run();
