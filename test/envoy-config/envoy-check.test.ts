// Every resource of every mode through the in-process checker (protoc-gen-validate, the rules
// Envoy's validator does not apply, cross-resource consistency). Envoy's own validator runs on
// them, and on the bootstraps, in test/interop/envoy-validate.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildResourceSet, clientClasses, envoyConfigOptions } from '../../envoy-config/index.ts';
import { checkResourceSet } from '../support/envoy-check/index.ts';
import { encodeSet } from './support/readable.ts';
import { routedModel } from './support/routed-model.ts';
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

  test(`${clientClass}: Services with Gateway API routes pass the checker (every option variant)`, () => {
    for (const options of Object.values(optionVariants)) {
      const set = buildResourceSet(routedModel, clientClass, options);
      assert.equal(checkResourceSet(set), []);
      assert.equal(checkResourceSet(encodeSet(set)), []);
    }
  });

  test(`${clientClass}: an empty model passes the checker`, () => {
    assert.equal(checkResourceSet(buildResourceSet([], clientClass, envoyConfigOptions())), []);
  });
}

test.run();
