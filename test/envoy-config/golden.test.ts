// Every resource of every mode for the sample model, and the bootstraps, against readable
// files under golden/. After an intended change: UPDATE_GOLDEN=1, then review the diff.
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildResourceSet, clientClasses, envoyBootstrapYaml, envoyConfigOptions, grpcBootstrap } from '../../envoy-config/index.ts';
import { readableSet } from './support/readable.ts';
import { routedModel } from './support/routed-model.ts';
import { sampleModel } from './support/sample-model.ts';

const update = process.env.UPDATE_GOLDEN === '1';

function assertGolden(file: string, actual: string): void {
  const url = new URL(`golden/${file}`, import.meta.url);
  if (update) writeFileSync(url, actual);
  assert.fixture(actual, readFileSync(url, 'utf8'), `${file} differs: rerun with UPDATE_GOLDEN=1 if the change is intended`);
}

const options = envoyConfigOptions();

for (const clientClass of clientClasses) {
  test(`${clientClass} resources match golden/${clientClass}.json`, () => {
    assertGolden(`${clientClass}.json`, JSON.stringify(readableSet(buildResourceSet(sampleModel, clientClass, options)), null, 2) + '\n');
  });

  test(`${clientClass} resources of Services with Gateway API routes match golden/routed-${clientClass}.json`, () => {
    assertGolden(`routed-${clientClass}.json`, JSON.stringify(readableSet(buildResourceSet(routedModel, clientClass, options)), null, 2) + '\n');
  });
}

test('the gRPC bootstrap matches golden/grpc-bootstrap.json', () => {
  const bootstrap = grpcBootstrap({ serverUri: 'kube-xds.kube-xds.svc:18000', nodeId: 'client-1', zone: 'zone-a' });
  assertGolden('grpc-bootstrap.json', JSON.stringify(bootstrap, null, 2) + '\n');
});

for (const role of ['gateway', 'sidecar'] as const) {
  test(`the ${role} Envoy bootstrap matches golden/envoy-bootstrap-${role}.yaml`, () => {
    const yaml = envoyBootstrapYaml({ role, nodeId: `${role}-1`, nodeCluster: 'demo', xdsHost: 'kube-xds.kube-xds.svc', xdsPort: 18000 });
    assertGolden(`envoy-bootstrap-${role}.yaml`, yaml);
  });
}

/** Mutual TLS to the control plane's TLS port, with the files where a Secret volume puts them. */
const mtls = { caFile: '/etc/kube-xds-client/ca.crt', certFile: '/etc/kube-xds-client/tls.crt', keyFile: '/etc/kube-xds-client/tls.key' };

test('the gRPC bootstrap with mutual TLS matches golden/grpc-bootstrap-mtls.json', () => {
  const bootstrap = grpcBootstrap({ serverUri: 'kube-xds.kube-xds.svc:18443', nodeId: 'client-1', zone: 'zone-a', tls: mtls });
  assertGolden('grpc-bootstrap-mtls.json', JSON.stringify(bootstrap, null, 2) + '\n');
});

test('the gateway Envoy bootstrap with mutual TLS matches golden/envoy-bootstrap-gateway-mtls.yaml', () => {
  const yaml = envoyBootstrapYaml({ role: 'gateway', nodeId: 'gateway-1', nodeCluster: 'demo', xdsHost: 'kube-xds.kube-xds.svc', xdsPort: 18443, xdsTls: mtls });
  assertGolden('envoy-bootstrap-gateway-mtls.yaml', yaml);
});

test.run();
