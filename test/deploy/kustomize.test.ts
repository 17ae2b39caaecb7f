// Every kustomization under deploy/ (found by walking the folder) renders, and what it renders
// would run: hardened pods, Services whose ports exist on their pods, kube-xds containers that
// use only flags and variables the CLI has, and every image the one set in deploy/image.
import { writeFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { invocation, serveEnv } from './cli.ts';
import {
  allContainers,
  componentDirs,
  copyOfDeploy,
  imageName,
  kustomizationDirs,
  kustomizationFile,
  matchesSelector,
  ofKind,
  podSpecs,
  render,
  resolvePort,
  runningContainers,
  repoRoot,
  type Deployment,
  type Service,
} from './render.ts';

const dirs = kustomizationDirs();
const imageComponent = 'deploy/image';

test('deploy/ holds the base, the namespaced overlay, the three examples and the image component', () => {
  for (const dir of ['deploy/base', 'deploy/namespaced', 'deploy/examples/gateway', 'deploy/examples/sidecar', 'deploy/examples/proxyless']) {
    assert.ok(dirs.includes(dir), `${dir} is not a kustomization (found: ${dirs.join(', ')})`);
  }
  assert.ok(componentDirs().includes(imageComponent), `${imageComponent} is not a kustomize Component`);
});

interface ImageEntry { name: string; newName?: string; newTag?: string; digest?: string }

/** deploy/image's `images:` list (of the repository, or of a copy of deploy/ at `root`). */
function imageEntries(root = repoRoot): ImageEntry[] {
  const file = kustomizationFile(imageComponent, root);
  assert.ok(file, `${imageComponent} has no kustomization file`);
  return (file.content.images ?? []) as ImageEntry[];
}

/** The image a container ends up with when kustomize applies `entry`. */
const finalImage = (entry: ImageEntry) => `${entry.newName ?? entry.name}${entry.digest ? `@${entry.digest}` : entry.newTag ? `:${entry.newTag}` : ''}`;

/** Every container image of every kustomization, with where it is. */
function containerImages(root = repoRoot): { where: string; image: string }[] {
  return kustomizationDirs(root).flatMap((dir) =>
    podSpecs(render(dir, root)).flatMap(({ where, pod }) => allContainers(pod).map((container) => ({ where: `${dir}: ${where}/${container.name}`, image: container.image }))),
  );
}

test('every container of every kustomization runs an image deploy/image sets: no placeholder is left', () => {
  const entries = imageEntries();
  assert.ok(entries.some((entry) => entry.name === 'kube-xds'), `${imageComponent} sets the kube-xds image`);
  const set = new Set(entries.map(finalImage));
  const images = containerImages();
  assert.ok(images.length > 0);
  for (const { where, image } of images) {
    assert.ok(set.has(image), `${where} runs ${image}, which ${imageComponent} does not set (${[...set].join(', ')}): a placeholder left, or an image outside the one place`);
  }
  for (const dir of ['deploy/base', 'deploy/namespaced', 'deploy/examples/proxyless']) {
    assert.ok(images.some(({ where, image }) => where.startsWith(`${dir}:`) && image === finalImage(entries.find((entry) => entry.name === 'kube-xds')!)), `${dir} runs kube-xds`);
  }
});

test('one edit of deploy/image, as `kustomize edit set image` makes it, changes the image in every kustomization', () => {
  const copy = copyOfDeploy();
  try {
    // What `cd deploy/image && kustomize edit set image kube-xds=registry.example/team/kube-xds:override
    // envoyproxy/envoy=mirror.example/envoy:v9` writes: each entry's newName and newTag.
    const wanted: Record<string, string> = { 'kube-xds': 'registry.example/team/kube-xds:override', 'envoyproxy/envoy': 'mirror.example/envoy:v9' };
    const file = kustomizationFile(imageComponent, copy.root)!;
    const entries = imageEntries(copy.root).map((entry) => {
      const target = wanted[entry.name];
      if (!target) return entry;
      const at = target.lastIndexOf(':');
      return { name: entry.name, newName: target.slice(0, at), newTag: target.slice(at + 1) };
    });
    assert.equal(entries.map((entry) => entry.name).sort(), Object.keys(wanted).sort(), `${imageComponent} names exactly the placeholders kube-xds and envoyproxy/envoy`);
    writeFileSync(file.path, stringify({ ...file.content, images: entries }));

    const before = containerImages();
    const after = containerImages(copy.root);
    assert.equal(after.map(({ where }) => where), before.map(({ where }) => where), 'the same containers');
    const moved = new Map(imageEntries().map((entry) => [finalImage(entry), wanted[entry.name]!]));
    for (const [index, { where, image }] of after.entries()) {
      const expected = moved.get(before[index]!.image);
      assert.ok(expected, `${where} ran ${before[index]!.image}, which ${imageComponent} does not set`);
      assert.is(image, expected, `${where} did not follow the edit of ${imageComponent}`);
    }
  } finally {
    copy.remove();
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
