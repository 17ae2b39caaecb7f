// Every resource of every mode, and the Envoy bootstraps, through the protoc-gen-validate and
// Envoy-rule checker (Envoy itself cannot run here).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildResourceSet, clientClasses, envoyBootstrapYaml, envoyConfigOptions } from '../../envoy-config/index.ts';
import { checkResourceSet, checkProtoYaml } from '../support/envoy-check/index.ts';
import { encodeSet } from './support/readable.ts';
import { sampleModel } from './support/sample-model.ts';

const optionVariants = {
  defaults: envoyConfigOptions(),
  'access logs, two gateway ports, no stream bound, no retries': envoyConfigOptions({
    accessLog: true,
    gatewayPorts: [8080, 9090],
    maxStreamDurationMs: 0,
    grpcNumRetries: 0,
  }),
  'another cluster domain, sub-second timeouts': envoyConfigOptions({ clusterDomain: 'corp.example', connectTimeoutMs: 250, maxStreamDurationMs: 1_500 }),
};

for (const clientClass of clientClasses) {
  for (const [variant, options] of Object.entries(optionVariants)) {
    test(`${clientClass} resources pass the checker (${variant}), as objects and as bytes`, () => {
      const set = buildResourceSet(sampleModel, clientClass, options);
      assert.equal(checkResourceSet(set), []);
      assert.equal(checkResourceSet(encodeSet(set)), []);
    });
  }

  test(`${clientClass}: an empty model passes the checker`, () => {
    assert.equal(checkResourceSet(buildResourceSet([], clientClass, envoyConfigOptions())), []);
  });
}

for (const role of ['gateway', 'sidecar'] as const) {
  test(`the ${role} Envoy bootstrap passes the checker`, () => {
    for (const xdsHost of ['kube-xds.kube-xds.svc', '10.96.0.10']) {
      const yaml = envoyBootstrapYaml({ role, nodeId: `${role}-1`, nodeCluster: 'demo', xdsHost, xdsPort: 18000 });
      assert.equal(checkProtoYaml('envoy.config.bootstrap.v3.Bootstrap', yaml), []);
    }
  });
}

test.run();
