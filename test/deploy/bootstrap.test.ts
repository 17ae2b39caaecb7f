// The bootstrap ConfigMaps of deploy/examples are what the CLI prints for the
// `kube-xds bootstrap ...` command recorded in each one's kube-xds.io/generated-by
// annotation. Compared parsed, so formatting and the file's header comment don't matter.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { bootstrapText } from '../../bin/bootstrap-command.ts';
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
  return { subcommand: call.subcommand, flag, args };
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

test('a recorded command may choose the ADS stream with --ads, and the check follows it', () => {
  const command = 'kube-xds bootstrap envoy --role gateway --xds-address kube-xds.kube-xds.svc.cluster.local:18000 --node-id gateway --ads delta';
  const metadata = { name: 'envoy-bootstrap', annotations: { [annotation]: command } };
  const { subcommand, flag, args } = recordedCommand({ apiVersion: 'v1', kind: 'ConfigMap', metadata });
  assert.is(subcommand, 'bootstrap envoy');
  assert.is(flag('--ads'), 'delta');
  assert.is(parse(bootstrapText(args.slice(1))).dynamic_resources.ads_config.api_type, 'DELTA_GRPC');
  assert.throws(() => bootstrapText([...args.slice(1, -1), 'incremental']), /--ads must be delta or sotw/);
});

for (const { where, configMap, text } of bootstraps) {
  test(`${where} is the output of its recorded command`, () => {
    const { flag, args } = recordedCommand(configMap);
    // Without --node-id the output would depend on the host running the command.
    assert.ok(flag('--xds-address') && flag('--node-id'), `${annotation} names --xds-address and --node-id`);
    assert.equal(parse(text), parse(bootstrapText(args.slice(1))));
  });
}

test.run();
