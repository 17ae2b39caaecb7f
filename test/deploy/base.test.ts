// deploy/base: the control plane itself. Minimal RBAC bound to the pod's ServiceAccount, the
// Deployment wired to the xDS and probe ports it serves (the admin address stays on loopback),
// and a Service that exposes them.
// deploy/namespaced: the same control plane reading only the namespaces it watches, through
// Roles in those namespaces and nothing cluster-wide.
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { parseAddress } from '../../bin/flags.ts';
import { serveFlags } from '../../bin/serve.ts';
import { addressPort, invocation, serveSetting } from './cli.ts';
import {
  copyOfDeploy,
  imageName,
  kustomizationFile,
  matchesSelector,
  ofKind,
  render,
  resolvePort,
  type Container,
  type Deployment,
  type K8sObject,
  type Rendered,
  type Service,
} from './render.ts';

interface PolicyRule { apiGroups?: string[]; resources?: string[]; verbs?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }
/** A ClusterRole or a Role. */
interface Role extends K8sObject { rules: PolicyRule[] }
/** A ClusterRoleBinding or a RoleBinding. */
interface RoleBinding extends K8sObject {
  roleRef: { apiGroup: string; kind: string; name: string };
  subjects: { kind: string; name: string; namespace?: string }[];
}
interface PodDisruptionBudget extends K8sObject {
  spec: { minAvailable?: number | string; maxUnavailable?: number | string; selector: { matchLabels: Record<string, string> } };
}

const base = () => render('deploy/base');
const namespacedDir = 'deploy/namespaced';
const namespaced = () => render(namespacedDir);

function controlPlane(rendered = base()): { deployment: Deployment; container: Container } {
  const deployments = ofKind<Deployment>(rendered, 'Deployment');
  assert.is(deployments.length, 1, `one Deployment in ${rendered.dir}`);
  const deployment = deployments[0]!;
  const containers = deployment.spec.template.spec.containers.filter((container) => imageName(container.image) === 'kube-xds');
  assert.is(containers.length, 1, 'one kube-xds container');
  return { deployment, container: containers[0]! };
}

/** What a role grants, as "group/resource:verb", sorted. */
function grants(role: Role): string[] {
  return role.rules
    .flatMap((rule) => {
      assert.not.ok(rule.nonResourceURLs ?? rule.resourceNames, `${role.kind} ${role.metadata.name}: no URL or per-name rules`);
      return (rule.apiGroups ?? []).flatMap((group) =>
        (rule.resources ?? []).flatMap((resource) => (rule.verbs ?? []).map((verb) => `${group}/${resource}:${verb}`)),
      );
    })
    .sort();
}

/** All kube-xds needs: list and watch on Services, EndpointSlices, Routes and Gateways, and patch on their status alone. */
const needed = [
  '/services:list',
  '/services:watch',
  'discovery.k8s.io/endpointslices:list',
  'discovery.k8s.io/endpointslices:watch',
  'gateway.networking.k8s.io/gateways/status:patch',
  'gateway.networking.k8s.io/gateways:list',
  'gateway.networking.k8s.io/gateways:watch',
  'gateway.networking.k8s.io/grpcroutes/status:patch',
  'gateway.networking.k8s.io/grpcroutes:list',
  'gateway.networking.k8s.io/grpcroutes:watch',
  'gateway.networking.k8s.io/httproutes/status:patch',
  'gateway.networking.k8s.io/httproutes:list',
  'gateway.networking.k8s.io/httproutes:watch',
];

/** The namespaces the control plane is told to watch: its --namespace flags, else KUBE_XDS_NAMESPACE. */
function watchedNamespaces(container: Container): string[] {
  const call = invocation(container);
  assert.ok(call);
  const fromEnv = container.env?.find((variable) => variable.name === 'KUBE_XDS_NAMESPACE')?.value;
  return call.flags.get('--namespace') ?? fromEnv?.split(',').map((namespace) => namespace.trim()).filter(Boolean) ?? [];
}

/** The control plane's ServiceAccount, as a RoleBinding subject names it. */
function serviceAccountSubject(rendered: Rendered) {
  const name = controlPlane(rendered).deployment.spec.template.spec.serviceAccountName;
  const account = ofKind<K8sObject>(rendered, 'ServiceAccount').find((candidate) => candidate.metadata.name === name);
  assert.ok(account, `the ServiceAccount ${name} the pods run as is part of ${rendered.dir}`);
  return { kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace };
}

function servePorts(container: Container): { xds: number; probe: number; admin: { host: string; port: number } } {
  const call = invocation(container);
  assert.ok(call, 'the kube-xds container runs the kube-xds CLI');
  assert.is(call.subcommand, 'serve');
  const xds = serveSetting(container, call, '--xds-address', 'KUBE_XDS_XDS_ADDRESS');
  const probe = serveSetting(container, call, '--probe-address', 'KUBE_XDS_PROBE_ADDRESS');
  assert.ok(xds && probe, 'the xDS and probe addresses are set explicitly');
  const admin = serveSetting(container, call, '--admin-address', 'KUBE_XDS_ADMIN_ADDRESS') ?? serveFlags.find((flag) => flag.name === 'admin-address')!.default!;
  return { xds: addressPort(xds), probe: addressPort(probe), admin: parseAddress('admin-address', admin) };
}

test('ClusterRole: exactly list and watch on services, endpointslices and routes, and patch on route status', () => {
  const roles = ofKind<Role>(base(), 'ClusterRole');
  assert.is(roles.length, 1);
  assert.equal(grants(roles[0]!), needed);
  assert.is(ofKind(base(), 'Role').length, 0, 'no namespaced Roles either');
});

test('ClusterRoleBinding ties that role to the ServiceAccount the pods run as', () => {
  const [binding] = ofKind<RoleBinding>(base(), 'ClusterRoleBinding');
  const [role] = ofKind<Role>(base(), 'ClusterRole');
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

test('probes: liveness on /healthz and readiness on /readyz, both on the probe port', () => {
  const { container } = controlPlane();
  const { probe: probePort } = servePorts(container);
  for (const [probe, path] of [[container.livenessProbe, '/healthz'], [container.readinessProbe, '/readyz']] as const) {
    assert.ok(probe?.httpGet, `an HTTP probe for ${path}`);
    assert.is(probe.httpGet.path, path);
    assert.is(resolvePort([container], probe.httpGet.port)?.containerPort, probePort, `${path} probes the probe port ${probePort}`);
  }
});

test('the admin address (status page, /debug/ views) listens on loopback only', () => {
  const { admin } = servePorts(controlPlane().container);
  assert.ok(['127.0.0.1', '::1', 'localhost'].includes(admin.host), `the admin address ${admin.host}:${admin.port} is reachable from outside the pod`);
});

test('container ports are the ports serve listens on beyond loopback', () => {
  const { container } = controlPlane();
  const { xds, probe } = servePorts(container);
  assert.equal((container.ports ?? []).map((port) => port.containerPort).sort(), [xds, probe].sort());
});

test('Prometheus scrapes /metrics on the probe port', () => {
  const { deployment, container } = controlPlane();
  const { probe } = servePorts(container);
  const annotations = (deployment.spec.template.metadata as { annotations?: Record<string, string> }).annotations ?? {};
  assert.equal([annotations['prometheus.io/scrape'], annotations['prometheus.io/port'], annotations['prometheus.io/path']], ['true', String(probe), '/metrics']);
});

test('Service exposes xDS (appProtocol grpc) and the probe port on the control plane pods, never the admin port', () => {
  const { deployment, container } = controlPlane();
  const { xds, probe, admin } = servePorts(container);
  const [service] = ofKind<Service>(base(), 'Service');
  assert.ok(service?.spec.selector && matchesSelector(deployment.spec.template.metadata.labels, service.spec.selector));
  const targetPort = (candidate: Service['spec']['ports'][number]) => resolvePort([container], candidate.targetPort ?? candidate.port)?.containerPort ?? candidate.targetPort ?? candidate.port;
  const target = (port: number) => service.spec.ports.find((candidate) => targetPort(candidate) === port);
  assert.is(target(xds)?.port, 18000);
  assert.is(target(xds)?.appProtocol, 'grpc');
  assert.is(target(probe)?.port, 18081);
  assert.not.ok(target(admin.port), `the Service reaches the loopback admin port ${admin.port}`);
});

test('PodDisruptionBudget keeps one control plane pod up', () => {
  const [budget] = ofKind<PodDisruptionBudget>(base(), 'PodDisruptionBudget');
  assert.ok(budget);
  assert.is(budget.spec.minAvailable, 1);
  assert.ok(matchesSelector(controlPlane().deployment.spec.template.metadata.labels, budget.spec.selector.matchLabels));
});

test('deploy/namespaced: nothing cluster-wide, no ClusterRole or ClusterRoleBinding, every object but the Namespace namespaced', () => {
  assert.is(ofKind(namespaced(), 'ClusterRole').length, 0, 'a ClusterRole');
  assert.is(ofKind(namespaced(), 'ClusterRoleBinding').length, 0, 'a ClusterRoleBinding');
  for (const object of namespaced().objects) {
    if (object.kind === 'Namespace') continue;
    assert.ok(object.metadata.namespace, `${object.kind}/${object.metadata.name} is not namespaced`);
  }
  assert.equal(ofKind(namespaced(), 'Namespace').map((namespace) => namespace.metadata.name), ['kube-xds'], 'it creates no watched namespace (they are the apps\' own)');
});

test('deploy/namespaced: a Role and a RoleBinding in each watched namespace and nowhere else, each one listed once in its kustomization', () => {
  const rendered = namespaced();
  const watched = watchedNamespaces(controlPlane(rendered).container);
  assert.ok(watched.length > 0, 'the control plane is told which namespaces to watch');
  assert.is(new Set(watched).size, watched.length, `a namespace given twice: ${watched}`);
  const roles = ofKind<Role>(rendered, 'Role');
  const bindings = ofKind<RoleBinding>(rendered, 'RoleBinding');
  assert.equal(roles.map((role) => role.metadata.namespace).sort(), [...watched].sort(), 'Roles exactly in the watched namespaces');
  assert.equal(bindings.map((binding) => binding.metadata.namespace).sort(), [...watched].sort(), 'RoleBindings exactly in the watched namespaces');
  const subject = serviceAccountSubject(rendered);
  for (const role of roles) assert.equal(grants(role), needed, `Role ${role.metadata.namespace}/${role.metadata.name}`);
  for (const binding of bindings) {
    const role = roles.find((candidate) => candidate.metadata.namespace === binding.metadata.namespace);
    assert.equal(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role!.metadata.name }, `RoleBinding in ${binding.metadata.namespace}`);
    assert.equal(binding.subjects, [subject], `RoleBinding in ${binding.metadata.namespace} binds the control plane's ServiceAccount`);
  }
  // The one list: a component per namespace, watch/<namespace>.
  const components = (kustomizationFile(namespacedDir)?.content.components ?? []) as string[];
  assert.equal([...components].sort(), watched.map((namespace) => `watch/${namespace}`).sort());
});

/** `rendered` without RBAC objects, and without --namespace flags on the control plane. */
function withoutNamespacedAccess(rendered: Rendered): K8sObject[] {
  const rbac = ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'];
  return structuredClone(rendered.objects.filter((object) => !rbac.includes(object.kind))).map((object) => {
    if (object.kind !== 'Deployment') return object;
    for (const container of (object as Deployment).spec.template.spec.containers) {
      const args = container.args ?? [];
      container.args = args.filter((arg, index) => !arg.startsWith('--namespace=') && arg !== '--namespace' && args[index - 1] !== '--namespace');
    }
    return object;
  });
}

test('deploy/namespaced is deploy/base but for RBAC and the --namespace flags', () => {
  assert.equal(withoutNamespacedAccess(namespaced()), withoutNamespacedAccess(base()));
});

test('deploy/namespaced: watching one more namespace as its kustomization says (copy watch/demo, rename, list it)', () => {
  const copy = copyOfDeploy();
  try {
    const dir = join(copy.root, namespacedDir);
    const [first] = watchedNamespaces(controlPlane(namespaced()).container);
    // cp -r watch/<first> watch/shop && sed -i 's/<first>/shop/g' watch/shop/*
    cpSync(join(dir, 'watch', first!), join(dir, 'watch', 'shop'), { recursive: true });
    for (const name of readdirSync(join(dir, 'watch', 'shop'))) {
      const file = join(dir, 'watch', 'shop', name);
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll(first!, 'shop'));
    }
    const kustomization = kustomizationFile(namespacedDir, copy.root)!;
    writeFileSync(kustomization.path, stringify({ ...kustomization.content, components: [...(kustomization.content.components as string[]), 'watch/shop'] }));

    const rendered = render(namespacedDir, copy.root);
    const watched = watchedNamespaces(controlPlane(rendered).container);
    assert.equal(watched, [...watchedNamespaces(controlPlane(namespaced()).container), 'shop']);
    assert.equal(ofKind(rendered, 'Role').map((role) => role.metadata.namespace).sort(), [...watched].sort());
    assert.equal(ofKind(rendered, 'RoleBinding').map((binding) => binding.metadata.namespace).sort(), [...watched].sort());
    const shop = ofKind<RoleBinding>(rendered, 'RoleBinding').find((binding) => binding.metadata.namespace === 'shop')!;
    assert.equal(shop.subjects, [serviceAccountSubject(rendered)], 'the copy still binds the control plane in its own namespace');
  } finally {
    copy.remove();
  }
});

test.run();
