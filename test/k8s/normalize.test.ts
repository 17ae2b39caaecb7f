import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, KubeXdsError } from '../../common/errors.ts';
import type { ServiceModel } from '../../k8s/model.ts';
import { buildServiceModel, readEndpointSlice, readService } from '../../k8s/normalize.ts';
import { endpoint, service, slice, type Json } from './fixtures.ts';

function model(svc: unknown, ...slices: unknown[]): ServiceModel {
  return buildServiceModel(readService(svc), slices.map(readEndpointSlice));
}

function endpointsOf(result: ServiceModel, portIndex = 0) {
  return result.ports[portIndex]?.endpoints.map((e) => `${e.address}:${e.port} ${e.health}`);
}

function badObjectError(read: () => unknown): KubeXdsError {
  try {
    read();
  } catch (error) {
    assert.instance(error, KubeXdsError);
    assert.is((error as KubeXdsError).code, ErrorCode.BadObject);
    return error as KubeXdsError;
  }
  throw new Error('expected a KXDS_BAD_OBJECT error');
}

test('a Service with one slice becomes a sorted model', () => {
  const result = model(
    service('web', { annotations: { 'kube-xds.io/z': '1', 'kube-xds.io/a': '2' } }),
    slice('web-abc', {
      service: 'web',
      endpoints: [
        endpoint('10.0.0.10', { zone: 'zone-b', targetRef: { kind: 'Pod', name: 'web-2' } }),
        endpoint('10.0.0.9', { zone: 'zone-a', targetRef: { kind: 'Pod', name: 'web-1' } }),
      ],
    }),
  );
  assert.equal(result, {
    namespace: 'default',
    name: 'web',
    ports: [
      {
        name: 'grpc',
        port: 50051,
        protocol: 'TCP',
        endpoints: [
          { address: '10.0.0.9', port: 50051, zone: 'zone-a', health: 'HEALTHY', pod: 'web-1' },
          { address: '10.0.0.10', port: 50051, zone: 'zone-b', health: 'HEALTHY', pod: 'web-2' },
        ],
      },
    ],
    ipFamily: 'IPv4',
    annotations: { 'kube-xds.io/a': '2', 'kube-xds.io/z': '1' },
  });
  assert.equal(Object.keys(result.annotations), ['kube-xds.io/a', 'kube-xds.io/z']);
  assert.ok(Object.isFrozen(result) && Object.isFrozen(result.ports[0]?.endpoints));
});

test('endpoints are ordered by numeric address across every octet', () => {
  const addresses = ['10.0.1.0', '9.255.255.255', '10.0.0.255', '192.168.0.1', '10.0.0.3', '10.1.0.0'];
  const result = model(service('web'), slice('web-abc', { service: 'web', endpoints: addresses.map((address) => endpoint(address)) }));
  assert.equal(result.ports[0]?.endpoints.map((e) => e.address), ['9.255.255.255', '10.0.0.3', '10.0.0.255', '10.0.1.0', '10.1.0.0', '192.168.0.1']);
});

test('only kube-xds.io/ annotations are kept; others are dropped without being checked', () => {
  const annotations = {
    'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify(service('web')),
    'deployment.kubernetes.io/revision': '7',
    'kube-xds.io/policy': 'round-robin',
    'kube-xds.io': 'not under the prefix',
    'example.com/kube-xds.io/x': 'nor this',
    'not-a-string': 7 as unknown as string,
  };
  const result = model(service('web', { annotations }));
  assert.equal(result.annotations, { 'kube-xds.io/policy': 'round-robin' });
  const badKept = service('web', { annotations: { 'kube-xds.io/policy': 7 as unknown as string } });
  assert.match(badObjectError(() => readService(badKept)).message, 'metadata.annotations["kube-xds.io/policy"] must be a string');
});

test('conditions: unset ready is ready, unset serving follows ready, unset terminating is false', () => {
  const result = model(
    service('web'),
    slice('web-1', {
      service: 'web',
      endpoints: [
        endpoint('10.0.0.1'),
        endpoint('10.0.0.2', { conditions: { ready: false } }),
        endpoint('10.0.0.3', { conditions: { ready: false, terminating: true } }),
        endpoint('10.0.0.4', { conditions: { ready: true, terminating: true } }),
        endpoint('10.0.0.5', { conditions: { ready: false, serving: true, terminating: true } }),
        endpoint('10.0.0.6', { conditions: { ready: false, serving: false, terminating: true } }),
        endpoint('10.0.0.7', { conditions: { ready: false, serving: true } }),
        endpoint('10.0.0.8', { conditions: { ready: null, serving: null, terminating: null } }),
      ],
    }),
  );
  assert.equal(endpointsOf(result), [
    '10.0.0.1:50051 HEALTHY',
    '10.0.0.4:50051 HEALTHY',
    '10.0.0.5:50051 DRAINING',
    '10.0.0.8:50051 HEALTHY',
  ]);
});

test('publishNotReadyAddresses marks every endpoint ready', () => {
  const result = model(
    service('web', { spec: { publishNotReadyAddresses: true } }),
    slice('web-1', {
      service: 'web',
      endpoints: [
        endpoint('10.0.0.1', { conditions: { ready: false } }),
        endpoint('10.0.0.2', { conditions: { ready: false, serving: true, terminating: true } }),
      ],
    }),
  );
  assert.equal(endpointsOf(result), ['10.0.0.1:50051 HEALTHY', '10.0.0.2:50051 HEALTHY']);
});

test('slices are merged and de-duplicated by address and port, the healthier copy winning', () => {
  const result = model(
    service('web'),
    slice('web-a', {
      service: 'web',
      endpoints: [endpoint('10.0.0.1', { conditions: { ready: false, serving: true, terminating: true } }), endpoint('10.0.0.2')],
    }),
    slice('web-b', { service: 'web', endpoints: [endpoint('10.0.0.1'), endpoint('10.0.0.2', { zone: 'other' }), endpoint('10.0.0.3')] }),
  );
  assert.equal(endpointsOf(result), ['10.0.0.1:50051 HEALTHY', '10.0.0.2:50051 HEALTHY', '10.0.0.3:50051 HEALTHY']);
  assert.is(result.ports[0]?.endpoints[1]?.zone, '', 'the first slice by name keeps a tie');
});

test('a named target port resolves per slice and ports match by name', () => {
  const result = model(
    service('web', {
      ports: [
        { name: 'metrics', port: 9090, targetPort: 'metrics' },
        { name: 'grpc', port: 443, targetPort: 'grpc', appProtocol: 'grpc' },
      ],
    }),
    slice('web-old', { service: 'web', ports: [{ name: 'grpc', port: 8080 }, { name: 'metrics', port: 9100 }], endpoints: [endpoint('10.0.0.1')] }),
    slice('web-new', { service: 'web', ports: [{ name: 'grpc', port: 8443 }, { name: 'other', port: 1 }], endpoints: [endpoint('10.0.0.2')] }),
  );
  assert.equal(
    result.ports.map((p) => [p.name, p.port, p.appProtocol]),
    [
      ['grpc', 443, 'grpc'],
      ['metrics', 9090, undefined],
    ],
  );
  assert.equal(endpointsOf(result, 0), ['10.0.0.1:8080 HEALTHY', '10.0.0.2:8443 HEALTHY']);
  assert.equal(endpointsOf(result, 1), ['10.0.0.1:9100 HEALTHY']);
});

test('an unnamed single port matches slice ports without a name', () => {
  const result = model(
    service('web', { ports: [{ port: 80 }] }),
    slice('web-1', { service: 'web', ports: [{ port: 8080, name: null }], endpoints: [endpoint('10.0.0.1')] }),
  );
  assert.equal(result.ports[0]?.name, '');
  assert.equal(endpointsOf(result), ['10.0.0.1:8080 HEALTHY']);
});

test('dual-stack: the first family is used and slices of the other ignored', () => {
  const v6first = service('web', { spec: { ipFamilies: ['IPv6', 'IPv4'] } });
  const v4 = slice('web-v4', { service: 'web', endpoints: [endpoint('10.0.0.1')] });
  const v6 = slice('web-v6', { service: 'web', addressType: 'IPv6', endpoints: [endpoint('fd00::0a'), endpoint('fd00::9')] });
  const six = model(v6first, v4, v6);
  assert.is(six.ipFamily, 'IPv6');
  assert.equal(endpointsOf(six), ['fd00::9:50051 HEALTHY', 'fd00::a:50051 HEALTHY']);
  const four = model(service('web'), v4, v6);
  assert.is(four.ipFamily, 'IPv4');
  assert.equal(endpointsOf(four), ['10.0.0.1:50051 HEALTHY']);
});

test('FQDN slices are skipped without checking their addresses', () => {
  const fqdn = slice('web-fqdn', { service: 'web', addressType: 'FQDN', endpoints: [endpoint('db.example.com')] });
  assert.equal(endpointsOf(model(service('web'), fqdn)), []);
});

test('ExternalName Services keep their ports and have no endpoints; headless ones do', () => {
  const endpoints = slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1')] });
  const external = model(service('web', { spec: { type: 'ExternalName', externalName: 'example.com' } }), endpoints);
  assert.equal(endpointsOf(external), []);
  const headless = model(service('web', { spec: { clusterIP: 'None' } }), endpoints);
  assert.equal(endpointsOf(headless), ['10.0.0.1:50051 HEALTHY']);
});

test('only addresses[0] of an endpoint is used, and IPv6 is written canonically', () => {
  const result = model(
    service('web', { spec: { ipFamilies: ['IPv6'] } }),
    slice('web-1', { service: 'web', addressType: 'IPv6', endpoints: [{ addresses: ['2001:0db8:0:0::1', '2001:db8::2'] }] }),
  );
  assert.equal(endpointsOf(result), ['2001:db8::1:50051 HEALTHY']);
});

test('client-node class instances (Date fields, undefined properties) read like JSON', () => {
  const raw = service('web', { labels: { app: 'web' } });
  (raw.metadata as Json).creationTimestamp = '2024-05-01T10:00:00Z';
  const rawSlice = slice('web-1', { service: 'web', endpoints: [endpoint('10.0.0.1', { conditions: { ready: true } })] });
  const fromClasses = model(ObjectSerializer.deserialize(raw, 'V1Service', ''), ObjectSerializer.deserialize(rawSlice, 'V1EndpointSlice', ''));
  assert.equal(fromClasses, model(raw, rawSlice));
});

test('malformed objects throw KXDS_BAD_OBJECT naming the object and the field', () => {
  assert.match(badObjectError(() => readService({ metadata: {} })).message, 'Service (no namespace)/(no name): metadata.name must be a non-empty string');
  assert.match(badObjectError(() => readService('nope')).message, 'Service (unnamed): the object must be an object');
  const noNamespace = service('web');
  delete (noNamespace.metadata as Json).namespace;
  assert.match(badObjectError(() => readService(noNamespace)).message, 'Service (no namespace)/web: metadata.namespace must be a non-empty string');
  const notArray = badObjectError(() => readService(service('web', { spec: { ports: 'grpc' } })));
  assert.match(notArray.message, 'Service default/web: spec.ports must be a list, got "grpc"');
  assert.equal(notArray.context, { kind: 'Service', object: 'default/web', field: 'spec.ports' });
  assert.match(badObjectError(() => readService(service('web', { ports: [{ port: 0 }] }))).message, 'spec.ports[0].port must be a port number 1..65535, got 0');
  assert.match(badObjectError(() => readService(service('web', { ports: [{ port: 'http' }] }))).message, 'spec.ports[0].port');
  assert.match(badObjectError(() => readService(service('web', { ports: [{ name: 'a', port: 80 }, { name: 'a', port: 81 }] }))).message, 'spec.ports[1].name repeats the name of spec.ports[0], got "a"');
  assert.match(badObjectError(() => readService(service('web', { ports: [{ port: 80, protocol: 'HTTP' }] }))).message, 'spec.ports[0].protocol');
  assert.match(badObjectError(() => readService(service('web', { spec: { ipFamilies: ['IPv5'] } }))).message, 'spec.ipFamilies[0]');
  assert.match(badObjectError(() => readService(service('web', { labels: { app: 7 as unknown as string } }))).message, 'metadata.labels["app"] must be a string');

  const badAddress = badObjectError(() => readEndpointSlice(slice('s', { endpoints: [endpoint('10.0.0.300')] })));
  assert.match(badAddress.message, 'EndpointSlice default/s: endpoints[0].addresses[0] must be an IPv4 address, got "10.0.0.300"');
  assert.match(badObjectError(() => readEndpointSlice(slice('s', { endpoints: [endpoint('fd00::1')] }))).message, 'must be an IPv4 address');
  assert.match(badObjectError(() => readEndpointSlice(slice('s', { addressType: 'IPv6', endpoints: [endpoint('fe80::1%eth0')] }))).message, 'IPv6');
  assert.match(badObjectError(() => readEndpointSlice(slice('s', { endpoints: [{ addresses: [] }] }))).message, 'endpoints[0].addresses must not be empty');
  assert.match(badObjectError(() => readEndpointSlice(slice('s', { addressType: 'IP' }))).message, 'addressType must be one of IPv4, IPv6, FQDN');
  assert.match(badObjectError(() => readEndpointSlice(slice('s', { ports: [{ port: 70000 }] }))).message, 'ports[0].port');
  const stringReady = slice('s', { endpoints: [endpoint('10.0.0.1', { conditions: { ready: 'true' } })] });
  assert.match(badObjectError(() => readEndpointSlice(stringReady)).message, 'endpoints[0].conditions.ready must be true or false');
});

test('Service ports: names are DNS-1123 labels, required with two or more ports; number+protocol unique', () => {
  const ports = (...list: Json[]) => () => readService(service('web', { ports: list }));
  assert.match(badObjectError(ports({ port: 80 }, { name: 'b', port: 81 })).message, 'spec.ports[0].name must be set when a Service has more than one port');
  assert.match(badObjectError(ports({ name: 'a', port: 80 }, { port: 81 })).message, 'spec.ports[1].name must be set');
  const repeated = badObjectError(ports({ name: 'a', port: 80 }, { name: 'b', port: 80, protocol: 'TCP' }));
  assert.match(repeated.message, 'spec.ports[1].port repeats the port and protocol of spec.ports[0], got "80/TCP"');
  assert.is(repeated.context.field, 'spec.ports[1].port');
  for (const name of ['HTTP', 'http_1', '-http', 'http-', 'a.b', 'a'.repeat(64)]) {
    assert.match(badObjectError(ports({ name, port: 80 })).message, 'spec.ports[0].name must be a DNS-1123 label', name);
  }
  // What the API server accepts stays valid: one unnamed port, TCP and UDP on one number,
  // and DNS-1123 labels that are not IANA service names (longer than 15, digits only, "--").
  assert.equal(readService(service('web', { ports: [{ port: 80 }] })).ports.map((p) => p.name), ['']);
  const valid = readService(service('dns', { ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }, { name: 'http-metrics-for-ops', port: 9090 }, { name: '8080', port: 8080 }, { name: 'a--b', port: 1 }] }));
  assert.equal(valid.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`), ['dns 53/UDP', 'dns-tcp 53/TCP', 'http-metrics-for-ops 9090/TCP', '8080 8080/TCP', 'a--b 1/TCP']);
});

test('names: Services DNS-1035 labels, slices DNS-1123 subdomains, namespaces DNS-1123 labels', () => {
  for (const name of ['Web', '1web', 'web_1', 'web.shop', 'web-', 'w'.repeat(64)]) {
    assert.match(badObjectError(() => readService(service(name))).message, `Service default/${name}: metadata.name must be a DNS-1035 label (at most 63 characters`, name);
  }
  for (const name of ['Web-1', 'web_1', '.web', 'web..1', `${'w'.repeat(250)}.abc`]) {
    assert.match(badObjectError(() => readEndpointSlice(slice(name))).message, `EndpointSlice default/${name}: metadata.name must be a DNS-1123 subdomain`, name);
  }
  for (const namespace of ['Shop', 'shop.prod', 'shop_1', 's'.repeat(64)]) {
    assert.match(badObjectError(() => readService(service('web', { namespace }))).message, `Service ${namespace}/web: metadata.namespace must be a DNS-1123 label`, namespace);
    assert.match(badObjectError(() => readEndpointSlice(slice('web-1', { namespace }))).message, `EndpointSlice ${namespace}/web-1: metadata.namespace must be a DNS-1123 label`, namespace);
  }
  assert.is(readService(service('w'.repeat(63), { namespace: '1-shop' })).namespace, '1-shop');
  assert.is(readEndpointSlice(slice('web-abc12.v1', { namespace: 'a' })).name, 'web-abc12.v1');
});

test('a slice port without a number is ignored, not an error', () => {
  const result = model(service('web'), slice('web-1', { service: 'web', ports: [{ name: 'grpc', port: null }], endpoints: [endpoint('10.0.0.1')] }));
  assert.equal(endpointsOf(result), []);
});

test.run();
