import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clusterName, proxylessAuthorities, proxylessRouteConfigName, serviceFqdn } from '../../envoy-config/index.ts';
import { demoEcho, stagingEcho } from './support/sample-model.ts';

const [http, grpc] = demoEcho.ports;
const [unnamed] = stagingEcho.ports;

test('the FQDN takes the cluster domain', () => {
  assert.is(serviceFqdn(demoEcho, 'cluster.local'), 'echo.demo.svc.cluster.local');
  assert.is(serviceFqdn(demoEcho, 'corp.example'), 'echo.demo.svc.corp.example');
});

test('clusters and EDS resources use the outbound|P||FQDN form', () => {
  assert.is(clusterName(demoEcho, grpc!, 'cluster.local'), 'outbound|50051||echo.demo.svc.cluster.local');
});

test('a named port answers the number and the name under every host form, FQDN:P first', () => {
  assert.equal(proxylessAuthorities(demoEcho, grpc!, 'cluster.local'), [
    'echo.demo.svc.cluster.local:50051',
    'echo.demo:50051',
    'echo.demo.svc:50051',
    'echo.demo.svc.cluster.local:grpc',
    'echo.demo:grpc',
    'echo.demo.svc:grpc',
  ]);
  assert.is(proxylessRouteConfigName(demoEcho, http!, 'cluster.local'), 'echo.demo.svc.cluster.local:8080');
});

test('an unnamed port answers the number only', () => {
  assert.equal(proxylessAuthorities(stagingEcho, unnamed!, 'cluster.local'), [
    'echo.staging.svc.cluster.local:50051',
    'echo.staging:50051',
    'echo.staging.svc:50051',
  ]);
});

test("a port named with another port's number answers its number only, leaving that name to the other port", () => {
  const service = { ...demoEcho, ports: [{ ...grpc!, name: '80', port: 8080 }, { ...http!, name: 'http', port: 80 }] };
  const [numbered, eighty] = service.ports;
  assert.equal(proxylessAuthorities(service, numbered!, 'cluster.local'), ['echo.demo.svc.cluster.local:8080', 'echo.demo:8080', 'echo.demo.svc:8080']);
  assert.ok(proxylessAuthorities(service, eighty!, 'cluster.local').includes('echo.demo.svc.cluster.local:80'));
});

test.run();
