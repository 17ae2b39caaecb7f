// deploy/base: the control plane itself. Minimal RBAC bound to the pod's ServiceAccount, the
// Deployment wired to the admin and xDS ports it serves, and a Service that exposes them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addressPort, invocation, serveSetting } from './cli.ts';
import { imageName, matchesSelector, ofKind, render, resolvePort, type Container, type Deployment, type K8sObject, type Service } from './render.ts';

interface PolicyRule { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }
interface ClusterRole extends K8sObject { rules: PolicyRule[] }
interface ClusterRoleBinding extends K8sObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}
interface PodDisruptionBudget extends K8sObject {
  spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector: { matchLabels: Record<string, string> } };
}

const base = () => render('deploy/base');

function controlPlane(): { deployment: Deployment; container: Container } {
  const deployments = ofKind<Deployment>(base(), 'Deployment');
  assert.is(deployments.length, 1, 'one Deployment in deploy/base');
  const deployment = deployments[0]!;
  const containers = deployment.spec.template.spec.containers.filter((container) => imageName(container.image) === 'kube-xds');
  assert.is(containers.length, 1, 'one kube-xds container');
  return { deployment, container: containers[0]! };
}

function servePorts(container: Container): { xds: number; admin: number } {
  const call = invocation(container);
  assert.ok(call, 'the kube-xds container runs the kube-xds CLI');
  assert.is(call.subcommand, 'serve');
  const xds = serveSetting(container, call, '--xds-address', 'KUBE_XDS_XDS_ADDRESS');
  const admin = serveSetting(container, call, '--admin-address', 'KUBE_XDS_ADMIN_ADDRESS');
  assert.ok(xds && admin, 'the xDS and admin addresses are set explicitly');
  return { xds: addressPort(xds), admin: addressPort(admin) };
}

test('ClusterRole: exactly list and watch on services and endpointslices', () => {
  const roles = ofKind<ClusterRole>(base(), 'ClusterRole');
  assert.is(roles.length, 1);
  const granted = roles[0]!.rules.flatMap((rule) => {
    assert.not.ok(rule.nonResourceURLs ?? rule.resourceNames, 'no URL or per-name rules');
    return (rule.apiGroups ?? []).flatMap((group) =>
      (rule.resources ?? []).flatMap((resource) => (rule.verbs ?? []).map((verb) => `${group}/${resource}:${verb}`)),
    );
  });
  assert.equal(granted.sort(), ['/services:list', '/services:watch', 'discovery.k8s.io/endpointslices:list', 'discovery.k8s.io/endpointslices:watch']);
  assert.is(ofKind(base(), 'Role').length, 0, 'no namespaced Roles either');
});

test('ClusterRoleBinding ties that role to the ServiceAccount the pods run as', () => {
  const [binding] = ofKind<ClusterRoleBinding>(base(), 'ClusterRoleBinding');
  const [role] = ofKind<ClusterRole>(base(), 'ClusterRole');
  const [account] = ofKind<K8sObject>(base(), 'ServiceAccount');
  assert.ok(binding && role && account);
  assert.equal(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
  assert.equal(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
  const pod = controlPlane().deployment.spec.template.spec;
  assert.is(pod.serviceAccountName, account.metadata.name);
  assert.is(pod.automountServiceAccountToken, true, 'the control plane needs its token to reach the API');
});

test('everything namespaced lives in the kube-xds namespace, which the base creates', () => {
  const namespaces = ofKind(base(), 'Namespace').map((namespace) => namespace.metadata.name);
  assert.equal(namespaces, ['kube-xds']);
  for (const object of base().objects) {
    if (['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(object.kind)) continue;
    assert.is(object.metadata.namespace, 'kube-xds', `${object.kind}/${object.metadata.name}`);
  }
});

test('Deployment: two replicas spread over nodes, a grace period for streams, limits set', () => {
  const { deployment, container } = controlPlane();
  assert.ok((deployment.spec.replicas ?? 1) >= 2, 'at least two replicas');
  const pod = deployment.spec.template.spec;
  assert.match(JSON.stringify(pod.affinity), /"podAntiAffinity".*"topologyKey":"kubernetes.io\/hostname"/);
  assert.ok((pod.terminationGracePeriodSeconds ?? 30) >= 30, 'time for ADS streams to close');
  const resources = (container as Container & { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } }).resources;
  assert.ok(resources?.requests?.cpu && resources.requests.memory, 'cpu and memory requests');
  assert.ok(resources.limits?.memory, 'a memory limit');
});

test('probes: liveness on /healthz and readiness on /readyz, both on the admin port', () => {
  const { container } = controlPlane();
  const { admin } = servePorts(container);
  for (const [probe, path] of [[container.livenessProbe, '/healthz'], [container.readinessProbe, '/readyz']] as const) {
    assert.ok(probe?.httpGet, `an HTTP probe for ${path}`);
    assert.is(probe.httpGet.path, path);
    assert.is(resolvePort([container], probe.httpGet.port)?.containerPort, admin, `${path} probes the admin port ${admin}`);
  }
});

test('container ports are the ports serve listens on', () => {
  const { container } = controlPlane();
  const { xds, admin } = servePorts(container);
  assert.equal((container.ports ?? []).map((port) => port.containerPort).sort(), [xds, admin].sort());
});

test('Service exposes xDS (appProtocol grpc) and admin on the control plane pods', () => {
  const { deployment, container } = controlPlane();
  const { xds, admin } = servePorts(container);
  const [service] = ofKind<Service>(base(), 'Service');
  assert.ok(service?.spec.selector && matchesSelector(deployment.spec.template.metadata.labels, service.spec.selector));
  const target = (port: number) => service.spec.ports.find((candidate) => resolvePort([container], candidate.targetPort ?? candidate.port)?.containerPort === port);
  assert.is(target(xds)?.port, 18000);
  assert.is(target(xds)?.appProtocol, 'grpc');
  assert.is(target(admin)?.port, 18080);
});

test('PodDisruptionBudget keeps one control plane pod up', () => {
  const [budget] = ofKind<PodDisruptionBudget>(base(), 'PodDisruptionBudget');
  assert.ok(budget);
  assert.is(budget.spec.minAvailable, 1);
  assert.ok(matchesSelector(controlPlane().deployment.spec.template.metadata.labels, budget.spec.selector.matchLabels));
});

test.run();
