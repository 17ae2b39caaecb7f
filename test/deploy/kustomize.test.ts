// Every kustomization under deploy/ (found by walking the folder) renders, and what it renders
// would run: hardened pods, Services whose ports exist on their pods, kube-xds containers that
// use only flags and variables the CLI has.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { invocation, serveEnv } from './cli.ts';
import {
  allContainers,
  imageName,
  kustomizationDirs,
  matchesSelector,
  ofKind,
  render,
  resolvePort,
  runningContainers,
  type Deployment,
  type Service,
} from './render.ts';

const dirs = kustomizationDirs();

test('deploy/ holds the base and the three examples', () => {
  for (const dir of ['deploy/base', 'deploy/examples/gateway', 'deploy/examples/sidecar', 'deploy/examples/proxyless']) {
    assert.ok(dirs.includes(dir), `${dir} is not a kustomization (found: ${dirs.join(', ')})`);
  }
});

for (const dir of dirs) {
  test(`${dir}: renders with kubectl kustomize`, () => {
    const { objects } = render(dir);
    assert.ok(objects.length > 0, 'rendered nothing');
    for (const object of objects) assert.ok(object.kind && object.metadata?.name, `an object without kind or name: ${JSON.stringify(object)}`);
  });

  test(`${dir}: every container runs non-root, read-only, without privilege escalation`, () => {
    for (const deployment of ofKind<Deployment>(render(dir), 'Deployment')) {
      const pod = deployment.spec.template.spec;
      for (const container of allContainers(pod)) {
        const where = `${deployment.metadata.name}/${container.name}`;
        const own = container.securityContext ?? {};
        const inherited = pod.securityContext ?? {};
        assert.is(own.runAsNonRoot ?? inherited.runAsNonRoot, true, `${where}: runAsNonRoot`);
        const user = own.runAsUser ?? inherited.runAsUser;
        assert.ok(typeof user === 'number' && user > 0, `${where}: runAsUser must be a numeric non-root UID, got ${user}`);
        assert.is(own.readOnlyRootFilesystem, true, `${where}: readOnlyRootFilesystem`);
        assert.is(own.allowPrivilegeEscalation, false, `${where}: allowPrivilegeEscalation`);
        assert.ok(own.capabilities?.drop?.includes('ALL'), `${where}: capabilities must drop ALL`);
        assert.equal(own.capabilities?.add ?? [], [], `${where}: adds capabilities`);
        assert.is((own.seccompProfile ?? inherited.seccompProfile)?.type, 'RuntimeDefault', `${where}: seccompProfile`);
      }
    }
  });

  test(`${dir}: every Service port exists on the pods it selects`, () => {
    const rendered = render(dir);
    const deployments = ofKind<Deployment>(rendered, 'Deployment');
    for (const service of ofKind<Service>(rendered, 'Service')) {
      const selector = service.spec.selector;
      assert.ok(selector && Object.keys(selector).length > 0, `Service ${service.metadata.name} has no selector`);
      const backing = deployments.filter(
        (deployment) => deployment.metadata.namespace === service.metadata.namespace && matchesSelector(deployment.spec.template.metadata.labels, selector),
      );
      assert.ok(backing.length > 0, `Service ${service.metadata.name} selects no Deployment in ${dir}`);
      for (const deployment of backing) {
        const containers = runningContainers(deployment.spec.template.spec);
        for (const port of service.spec.ports) {
          const target = port.targetPort ?? port.port;
          const found = resolvePort(containers, target);
          assert.ok(found, `Service ${service.metadata.name} port ${port.name ?? port.port} -> ${target}: no such container port in ${deployment.metadata.name}`);
          assert.is(found.protocol ?? 'TCP', port.protocol ?? 'TCP', `Service ${service.metadata.name} port ${port.name}: protocol`);
        }
      }
    }
  });

  test(`${dir}: Deployment selectors match their pod templates`, () => {
    for (const deployment of ofKind<Deployment>(render(dir), 'Deployment')) {
      const { selector, template } = deployment.spec;
      assert.ok(matchesSelector(template.metadata.labels, selector.matchLabels), `${deployment.metadata.name}: selector does not match its pods`);
    }
  });

  test(`${dir}: kube-xds containers use only flags and variables the CLI has`, () => {
    for (const deployment of ofKind<Deployment>(render(dir), 'Deployment')) {
      for (const container of allContainers(deployment.spec.template.spec).filter((candidate) => imageName(candidate.image) === 'kube-xds')) {
        invocation(container); // throws on an unknown subcommand or flag
        for (const variable of container.env ?? []) {
          if (!variable.name.startsWith('KUBE_XDS_')) continue;
          assert.ok((serveEnv as readonly string[]).includes(variable.name), `${deployment.metadata.name}/${container.name}: kube-xds reads no ${variable.name}`);
        }
      }
    }
  });
}

test.run();
