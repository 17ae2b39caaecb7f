// Renders the kustomizations under deploy/ with `kubectl kustomize` (once per process) and
// gives the deploy tests typed access to what they check.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const deployDir = join(repoRoot, 'deploy');

const kustomizationFiles = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The parsed kustomization file of `dir` (relative to `root`), or undefined when it has none. */
export function kustomizationFile(dir: string, root = repoRoot): { path: string; content: Record<string, unknown> } | undefined {
  const entries = new Set(readdirSync(join(root, dir)));
  const name = kustomizationFiles.find((candidate) => entries.has(candidate));
  if (!name) return undefined;
  const path = join(root, dir, name);
  return { path, content: (parse(readFileSync(path, 'utf8')) ?? {}) as Record<string, unknown> };
}

/** Every folder under deploy/ holding a kustomization or a component, relative to the root ("deploy/base"). */
function allKustomizationDirs(root: string, dir = join(root, 'deploy')): string[] {
  const entries = readdirSync(dir, { withFileTypes: true });
  const here = entries.some((entry) => entry.isFile() && kustomizationFiles.includes(entry.name)) ? [relative(root, dir)] : [];
  const below = entries.filter((entry) => entry.isDirectory()).flatMap((entry) => allKustomizationDirs(root, join(dir, entry.name)));
  return [...here, ...below].sort();
}

const isComponent = (dir: string, root: string) => kustomizationFile(dir, root)?.content.kind === 'Component';

/** Every kustomization under deploy/ that can be applied (components are not), relative to the root. */
export function kustomizationDirs(root = repoRoot): string[] {
  return allKustomizationDirs(root).filter((dir) => !isComponent(dir, root));
}

/** Every kustomize Component under deploy/ (parts that kustomizations include), relative to the root. */
export function componentDirs(root = repoRoot): string[] {
  return allKustomizationDirs(root).filter((dir) => isComponent(dir, root));
}

/**
 * A scratch copy of deploy/ for a test that edits it as a user would: `root` stands in for
 * the repository root (render(dir, root) renders from the copy). Removed by `remove`.
 */
export function copyOfDeploy(): { root: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'kube-xds-deploy-'));
  cpSync(deployDir, join(root, 'deploy'), { recursive: true });
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

// Only the fields the tests read; everything else passes through untyped.
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface ContainerPort { name?: string; containerPort: number; protocol?: string }
export interface EnvVar { name: string; value?: string; valueFrom?: unknown }
export interface HttpProbe { httpGet?: { path?: string; port: number | string }; tcpSocket?: { port: number | string } }
export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}
export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  livenessProbe?: HttpProbe;
  readinessProbe?: HttpProbe;
  restartPolicy?: string;
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; configMap?: { name: string } }[];
  affinity?: unknown;
}
export interface Deployment extends K8sObject {
  spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}
export interface ServicePort { name?: string; port: number; targetPort?: number | string; protocol?: string; appProtocol?: string }
export interface Service extends K8sObject {
  spec: { selector?: Record<string, string>; ports: ServicePort[] };
}
export interface ConfigMap extends K8sObject {
  data?: Record<string, string>;
}

export interface Rendered {
  dir: string;
  objects: K8sObject[];
}

const cache = new Map<string, Rendered>();

/** `kubectl kustomize <dir>` (relative to `root`), parsed. Throws (fails the test) when kubectl is missing or errs. */
export function render(dir: string, root = repoRoot): Rendered {
  const key = join(root, dir);
  const cached = cache.get(key);
  if (cached) return cached;
  const result = spawnSync('kubectl', ['kustomize', key], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? 'kubectl not found on PATH: the deploy/ tests render every kustomization with `kubectl kustomize` and need kubectl (kustomize v5) installed'
        : `kubectl kustomize ${dir} could not run: ${result.error.message}`,
    );
  }
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed (exit ${result.status}):\n${result.stderr}`);
  const objects = parseAllDocuments(result.stdout).flatMap((doc) => {
    if (!('errors' in doc) || doc.errors.length > 0) throw new Error(`kubectl kustomize ${dir} printed invalid YAML`);
    const value = doc.toJS() as K8sObject | null;
    return value === null ? [] : [value];
  });
  const rendered = { dir, objects };
  cache.set(key, rendered);
  return rendered;
}

export function ofKind<T extends K8sObject>(rendered: Rendered, kind: string): T[] {
  return rendered.objects.filter((object) => object.kind === kind) as T[];
}

/**
 * Every pod template a rendered object carries, whatever its kind: a Pod's own spec, the
 * template of a Deployment, StatefulSet, DaemonSet, ReplicaSet or Job, a CronJob's job template.
 */
export function podSpecs(rendered: Rendered): { where: string; pod: PodSpec }[] {
  return rendered.objects.flatMap((object) => {
    const spec = object.spec as Record<string, any> | undefined;
    const pod: PodSpec | undefined =
      object.kind === 'Pod' ? (spec as PodSpec | undefined) : (spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec);
    return pod?.containers ? [{ where: `${object.kind}/${object.metadata.name}`, pod }] : [];
  });
}

/** Containers and init containers (native sidecars are init containers). */
export function allContainers(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []), ...pod.containers];
}

/** Containers that keep running beside the app: regular ones and native sidecars. */
export function runningContainers(pod: PodSpec): Container[] {
  return [...(pod.initContainers ?? []).filter((container) => container.restartPolicy === 'Always'), ...pod.containers];
}

export function matchesSelector(labels: Record<string, string> | undefined, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** The image's repository without registry-independent tag or digest: "ghcr.io/x/kube-xds:1" -> "kube-xds". */
export function imageName(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const tail = withoutDigest.slice(lastSlash + 1);
  return tail.split(':')[0]!;
}

/** A container port by name or number, as probes and Services reference them. */
export function resolvePort(containers: Container[], port: number | string): ContainerPort | undefined {
  const ports = containers.flatMap((container) => container.ports ?? []);
  return typeof port === 'number' ? ports.find((candidate) => candidate.containerPort === port) : ports.find((candidate) => candidate.name === port);
}
