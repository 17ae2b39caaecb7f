// deploy/examples/network-policy: the control plane with a mutual-TLS xDS port beside the
// plaintext one, its certificate from a Secret mounted as a folder (so renewals reach it), and
// a NetworkPolicy that fences only the plaintext port. The policy is read as Kubernetes
// applies it, to say which client pods reach which port.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags } from '../../bin/flags.ts';
import { serveConfig, serveFlags } from '../../bin/serve.ts';
import { SecretVolume, TestPki } from '../support/test-pki.ts';
import { invocation } from './cli.ts';
import { imageName, matchesSelector, ofKind, render, resolvePort, type Container, type Deployment, type K8sObject, type Service } from './render.ts';

const dir = 'deploy/examples/network-policy';
const plaintextLabel = { 'kube-xds.io/plaintext-xds': 'allowed' };

interface LabelSelector { matchLabels?: Record<string, string>; matchExpressions?: unknown[] }
interface Peer { namespaceSelector?: LabelSelector; podSelector?: LabelSelector; ipBlock?: unknown }
interface NetworkPolicy extends K8sObject {
  spec: { podSelector: LabelSelector; policyTypes?: string[]; ingress?: { from?: Peer[]; ports?: { port?: number | string; protocol?: string }[] }[] };
}
type Volume = { name: string; secret?: { secretName: string } };

function controlPlane() {
  const rendered = render(dir);
  const [deployment, ...others] = ofKind<Deployment>(rendered, 'Deployment');
  assert.ok(deployment && others.length === 0, 'one Deployment');
  const container = deployment.spec.template.spec.containers.find((candidate) => imageName(candidate.image) === 'kube-xds');
  assert.ok(container, 'a kube-xds container');
  return { rendered, deployment, container };
}

/** The container's `serve` flags and literal KUBE_XDS_* variables, as the CLI parses them. */
function serveSettings(container: Container) {
  const call = invocation(container);
  assert.is(call?.subcommand, 'serve');
  const env = Object.fromEntries((container.env ?? []).filter((variable) => variable.value !== undefined).map((variable) => [variable.name, variable.value!]));
  return { args: container.args!.slice(1), env, flags: parseFlags(serveFlags, container.args!.slice(1), env) };
}

function selects(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  assert.not.ok(selector?.matchExpressions, 'this reader handles matchLabels only');
  return matchesSelector(labels, selector?.matchLabels ?? {});
}

interface Client {
  readonly namespace: string;
  readonly namespaceLabels?: Record<string, string>;
  readonly podLabels?: Record<string, string>;
}

/** Whether `policy` admits `client` to the pod port named `port` (ingress rules are ORed; an absent `from` admits anyone). */
function admits(policy: NetworkPolicy, client: Client, port: string, containers: Container[]): boolean {
  const number = resolvePort(containers, port)?.containerPort;
  return (policy.spec.ingress ?? []).some((rule) => {
    const portMatches = !rule.ports?.length || rule.ports.some((candidate) => candidate.port === port || candidate.port === number);
    if (!portMatches) return false;
    if (!rule.from?.length) return true;
    return rule.from.some((peer) => {
      assert.not.ok(peer.ipBlock, 'this reader handles pod and namespace selectors only');
      const namespaceMatches = peer.namespaceSelector ? selects(peer.namespaceSelector, client.namespaceLabels ?? {}) : client.namespace === policy.metadata.namespace;
      return namespaceMatches && selects(peer.podSelector, client.podLabels ?? {});
    });
  });
}

test(`${dir}: a TLS xDS port beside the plaintext one, reached through the Service, its files from a Secret mounted as a folder`, async () => {
  const { rendered, deployment, container } = controlPlane();
  const { args, env, flags } = serveSettings(container);
  const tlsAddress = flags.get('xds-tls-address')?.[0];
  assert.ok(tlsAddress, 'the TLS port is configured');
  const tlsPort = Number(tlsAddress.slice(tlsAddress.lastIndexOf(':') + 1));
  assert.is(resolvePort([container], 'xds-tls')?.containerPort, tlsPort, 'the container port xds-tls is the TLS address');
  const [service] = ofKind<Service>(rendered, 'Service');
  assert.ok(service?.spec.ports.some((port) => port.targetPort === 'xds-tls'), 'the Service exposes the TLS port');
  assert.ok(service?.spec.ports.some((port) => port.targetPort === 'xds'), 'and still the plaintext one');

  const files = ['tls-cert-file', 'tls-key-file', 'tls-client-ca-file'].map((flag) => flags.get(flag)?.[0]);
  const volumes = (deployment.spec.template.spec.volumes ?? []) as Volume[];
  for (const file of files) {
    assert.ok(file, 'certificate, key and client CA are set');
    const mount = container.volumeMounts?.find((candidate) => file.startsWith(`${candidate.mountPath}/`));
    assert.ok(mount, `${file} is on a mounted volume`);
    assert.is(mount.subPath, undefined, `${file}: a subPath mount never sees the Secret renewed`);
    assert.is(volumes.find((volume) => volume.name === mount.name)?.secret?.secretName, 'kube-xds-tls', `${file} comes from the Secret kube-xds-tls`);
  }

  // The settings pass serve's own checks, the mounted files standing in a local folder.
  const scratch = await mkdtemp(join(tmpdir(), 'kube-xds-netpol-'));
  try {
    const pki = new TestPki(join(scratch, 'pki'));
    const ca = pki.ca();
    const server = pki.issue('server', { sans: ['DNS:kube-xds.kube-xds.svc'] });
    const secret = new SecretVolume(join(scratch, 'tls'));
    secret.write({ 'tls.crt': server.cert, 'tls.key': server.key, 'ca.crt': ca });
    const mountPath = container.volumeMounts!.find((mount) => files[0]!.startsWith(`${mount.mountPath}/`))!.mountPath;
    const local = (value: string) => value.replace(mountPath, secret.dir);
    const config = serveConfig(parseFlags(serveFlags, args.map(local), Object.fromEntries(Object.entries(env).map(([name, value]) => [name, local(value)]))));
    assert.ok(config.xds && config.xdsTls?.security.clientCaFile, 'plaintext and mutual TLS');
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
});

test(`${dir}: any pod reaches the TLS and probe ports; only labelled pods, or pods of labelled namespaces, reach the plaintext port`, () => {
  const { rendered, deployment, container } = controlPlane();
  const policies = ofKind<NetworkPolicy>(rendered, 'NetworkPolicy');
  assert.is(policies.length, 1);
  const policy = policies[0]!;
  assert.is(policy.metadata.namespace, deployment.metadata.namespace, 'in the control plane namespace');
  assert.ok(selects(policy.spec.podSelector, deployment.spec.template.metadata.labels), 'selects the control plane pods');
  assert.ok(policy.spec.policyTypes?.includes('Ingress'));
  for (const rule of policy.spec.ingress ?? []) {
    for (const { port } of rule.ports ?? []) assert.ok(port !== undefined && resolvePort([container], port), `the policy names port ${port}, which the pod has`);
  }

  const anyPod: Client = { namespace: 'demo' };
  const labelledPod: Client = { namespace: 'demo', podLabels: plaintextLabel };
  const podOfLabelledNamespace: Client = { namespace: 'legacy', namespaceLabels: plaintextLabel };
  const neighbour: Client = { namespace: 'kube-xds' };
  const reach = (client: Client) => ['xds-tls', 'probe', 'xds'].filter((port) => admits(policy, client, port, [container]));
  assert.equal(reach(anyPod), ['xds-tls', 'probe']);
  assert.equal(reach(neighbour), ['xds-tls', 'probe'], 'not even a pod of the same namespace without the label');
  assert.equal(reach(labelledPod), ['xds-tls', 'probe', 'xds']);
  assert.equal(reach(podOfLabelledNamespace), ['xds-tls', 'probe', 'xds']);
});

test.run();
