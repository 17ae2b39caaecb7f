// The bootstrap ConfigMaps of deploy/examples are what envoy-config's generators produce for
// the `kube-xds bootstrap ...` command recorded in each one's kube-xds.io/generated-by
// annotation. Compared parsed, so formatting and the file's header comment don't matter.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { envoyBootstrapYaml, type EnvoyRole } from '../../envoy-config/bootstrap-envoy.ts';
import { grpcBootstrap } from '../../envoy-config/bootstrap-grpc.ts';
import { invocation } from './cli.ts';
import { kustomizationDirs, ofKind, render, type ConfigMap } from './render.ts';

const annotation = 'kube-xds.io/generated-by';

function recordedCommand(configMap: ConfigMap) {
  const command = (configMap.metadata as { annotations?: Record<string, string> }).annotations?.[annotation];
  assert.ok(command, `ConfigMap ${configMap.metadata.name} holds a bootstrap but no ${annotation} annotation`);
  const [program, ...args] = command.trim().split(/\s+/);
  assert.is(program, 'kube-xds', `${annotation}: ${command}`);
  // The same parser the manifests' containers go through: only flags the CLI has.
  const call = invocation({ name: `ConfigMap ${configMap.metadata.name}`, image: 'kube-xds', args });
  assert.ok(call);
  const flag = (name: string) => call.flags.get(name)?.at(-1);
  return { subcommand: call.subcommand, flag };
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at), port: Number(address.slice(at + 1)) };
}

const bootstraps = kustomizationDirs()
  .flatMap((dir) => ofKind<ConfigMap>(render(dir), 'ConfigMap').map((configMap) => ({ dir, configMap })))
  .flatMap(({ dir, configMap }) =>
    Object.entries(configMap.data ?? {})
      .filter(([, text]) => /xds_servers|dynamic_resources/.test(text))
      .map(([key, text]) => ({ where: `${dir}: ${key}`, configMap, text })),
  );

test('the examples hold bootstraps for Envoy and for gRPC clients', () => {
  const kinds = new Set(bootstraps.map(({ configMap }) => recordedCommand(configMap).subcommand));
  assert.equal([...kinds].sort(), ['bootstrap envoy', 'bootstrap grpc']);
});

for (const { where, configMap, text } of bootstraps) {
  test(`${where} is the output of its recorded command`, () => {
    const { subcommand, flag } = recordedCommand(configMap);
    const xdsAddress = flag('--xds-address');
    const nodeId = flag('--node-id');
    // Without --node-id the output would depend on the CLI's default.
    assert.ok(xdsAddress && nodeId, `${annotation} names --xds-address and --node-id`);
    if (subcommand === 'bootstrap grpc') {
      const expected = JSON.parse(JSON.stringify(grpcBootstrap({ serverUri: xdsAddress, nodeId })));
      assert.equal(JSON.parse(text), expected);
      return;
    }
    assert.is(subcommand, 'bootstrap envoy');
    const role = flag('--role');
    assert.ok(role === 'gateway' || role === 'sidecar', `--role gateway|sidecar, got ${role}`);
    const actual = parse(text);
    const adminPort = flag('--admin-port');
    const { host, port } = splitAddress(xdsAddress);
    const expected = parse(
      envoyBootstrapYaml({
        role: role as EnvoyRole,
        nodeId,
        // The CLI contract has no flag for node.cluster (kube-xds does not read it): take it
        // from the file.
        nodeCluster: String(actual?.node?.cluster ?? ''),
        xdsHost: host,
        xdsPort: port,
        ...(adminPort !== undefined && { adminPort: Number(adminPort) }),
      }),
    );
    assert.equal(actual, expected);
  });
}

test.run();
