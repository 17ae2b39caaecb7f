// The status page in a real headless Chromium, against the real CLI on a file source with
// real ADS clients behind it: one that ACKs everything, an Envoy-like gateway on delta, one
// that NACKs, one that asks for a mistyped name. It checks what the page shows against the
// manifests and the server's own JSON, follows a live change without a reload, and loses and
// regains the connection. It saves a full-page screenshot to test/artifacts/status-page.png
// (and to $KUBE_XDS_SCREENSHOT when set: `KUBE_XDS_SCREENSHOT=docs/status-page.png` refreshes
// the README's picture).
import { accessSync, constants } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import type { StreamStatus } from '../../control-plane/stream-status.ts';
import { TypeUrl } from '../../control-plane/types.ts';
import type { envoy } from '../../generated/envoy.js';
import { endpoint, service, slice, type Json } from '../k8s/fixtures.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { RawAdsClient } from '../support/raw-ads-client.ts';
import { RawDeltaClient } from '../support/raw-delta-client.ts';
import { sleep, waitFor } from '../support/wait.ts';

type Node = envoy.config.core.v3.INode;

const artifact = fileURLToPath(new URL('../artifacts/status-page.png', import.meta.url));
const shortTypes = [['CDS', TypeUrl.Cluster], ['EDS', TypeUrl.Endpoint], ['LDS', TypeUrl.Listener], ['RDS', TypeUrl.Route]] as const;

// ---- the cluster, as manifests ----

interface Pod {
  readonly name: string;
  readonly ip: string;
  readonly zone: string;
  draining?: boolean;
}

interface App {
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly { name: string; port: number }[];
  readonly pods: Pod[];
}

const apps: App[] = [
  { namespace: 'demo', name: 'echo', ports: [{ name: 'grpc', port: 50051 }], pods: [
    { name: 'echo-5d8c7-a1x9k', ip: '10.244.1.12', zone: 'europe-west1-b' },
    { name: 'echo-5d8c7-a2m4p', ip: '10.244.1.13', zone: 'europe-west1-b' },
    { name: 'echo-5d8c7-b7q2w', ip: '10.244.2.21', zone: 'europe-west1-c' },
    { name: 'echo-5d8c7-b9z3t', ip: '10.244.2.22', zone: 'europe-west1-c' },
  ] },
  { namespace: 'shop', name: 'cart', ports: [{ name: 'grpc', port: 9090 }, { name: 'http', port: 8080 }], pods: [
    { name: 'cart-7f9b6-h2k8d', ip: '10.244.1.31', zone: 'europe-west1-b' },
    { name: 'cart-7f9b6-p4x7n', ip: '10.244.3.17', zone: 'europe-west1-d' },
  ] },
  { namespace: 'shop', name: 'checkout', ports: [{ name: 'grpc', port: 50051 }], pods: [
    { name: 'checkout-84c5b-7tq9z', ip: '10.244.2.40', zone: 'europe-west1-c' },
  ] },
  { namespace: 'payments', name: 'ledger', ports: [{ name: 'grpc', port: 7070 }], pods: [
    { name: 'ledger-0', ip: '10.244.1.50', zone: 'europe-west1-b' },
    { name: 'ledger-1', ip: '10.244.2.51', zone: 'europe-west1-c' },
    { name: 'ledger-2', ip: '10.244.3.52', zone: 'europe-west1-d' },
  ] },
];
const [echo, cart, checkout, ledger] = apps as [App, App, App, App];

const fqdn = (app: App) => `${app.name}.${app.namespace}.svc.cluster.local`;
const listenerName = (app: App) => `${fqdn(app)}:${app.ports[0]!.port}`;
const clusterName = (app: App) => `outbound|${app.ports[0]!.port}||${fqdn(app)}`;

function manifests(app: App): string {
  const ports = app.ports.map((port) => ({ name: port.name, port: port.port, protocol: 'TCP' }));
  const documents: Json[] = [
    service(app.name, { namespace: app.namespace, ports: ports.map((port) => ({ ...port, targetPort: port.name, appProtocol: port.name === 'grpc' ? 'grpc' : 'http' })) }),
    slice(`${app.name}-x7k2p`, {
      namespace: app.namespace,
      service: app.name,
      ports,
      endpoints: app.pods.map((pod) =>
        endpoint(pod.ip, {
          conditions: { ready: !pod.draining, serving: true, terminating: !!pod.draining },
          targetRef: { kind: 'Pod', namespace: app.namespace, name: pod.name },
          zone: pod.zone,
        }),
      ),
    }),
  ];
  return documents.map((document) => stringify(document)).join('---\n');
}

// ---- clients that behave like real ones: subscribe, then answer every response ----

const node = (id: string, userAgent: string, version: string, extra: Node = {}): Node => ({
  id,
  user_agent_name: userAgent,
  user_agent_version: version,
  locality: { zone: 'europe-west1-b' },
  ...extra,
});

/** State of the world: subscribes to `names` per type and ACKs each response, or NACKs those of `nack.type`. */
function sotwClient(address: string, client: Node, names: ReadonlyMap<TypeUrl, string[]>, nack?: { type: TypeUrl; message: string }): RawAdsClient {
  const raw = new RawAdsClient(address, client);
  for (const [type, list] of names) raw.request(type, list);
  void (async () => {
    for (;;) {
      const response = await raw.next(3_600_000).catch(() => undefined);
      if (!response) return;
      const subscribed = names.get(response.type as TypeUrl) ?? [];
      if (nack?.type === response.type) raw.request(response.type, subscribed, { version: '', error: nack.message });
      else raw.request(response.type, subscribed);
    }
  })();
  return raw;
}

/** Incremental, like an Envoy gateway: every listener and cluster, the endpoints of each cluster it gets. */
function deltaGateway(address: string, client: Node): RawDeltaClient {
  const raw = new RawDeltaClient(address, client);
  raw.request(TypeUrl.Cluster, { subscribe: ['*'] });
  raw.request(TypeUrl.Listener, { subscribe: ['*'] });
  raw.request(TypeUrl.Route, { subscribe: ['gateway'] });
  const endpoints = new Set<string>();
  void (async () => {
    for (;;) {
      const response = await raw.next(3_600_000).catch(() => undefined);
      if (!response) return;
      raw.ack(response);
      if (response.type !== TypeUrl.Cluster) continue;
      const added = response.resources.map((resource) => resource.name).filter((name) => !endpoints.has(name));
      added.forEach((name) => endpoints.add(name));
      if (added.length) raw.request(TypeUrl.Endpoint, { subscribe: added });
    }
  })();
  return raw;
}

// ---- the browser ----

/** Debian's chromium (test/prerequisites.sh installs it), else `chromium` on PATH. */
function chromiumExecutable(): string {
  const candidates = ['/usr/bin/chromium', ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, 'chromium'))];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next
    }
  }
  throw new Error('the status page test needs Chromium: apt-get install chromium (test/prerequisites.sh does it when run as root), or put `chromium` on PATH');
}

// ---- the run ----

interface World {
  dir: string;
  controlPlane: CliControlPlane;
  browser: Browser;
  page: Page;
  clients: { close(): void }[];
  pageErrors: string[];
  navigations: number;
}

const world = {} as World;

async function writeApp(app: App): Promise<void> {
  await writeFile(join(world.dir, `${app.namespace}-${app.name}.yaml`), manifests(app));
}

async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(`${world.controlPlane.adminUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json() as Promise<T>;
}

const pushCount = async () => (await getJson<{ pushes: unknown[] }>('/debug/activity')).pushes.length;

/** Applies a change to a manifest and waits until it has been pushed to the clients. */
async function change(app: App, edit: () => void): Promise<void> {
  const before = await pushCount();
  edit();
  await writeApp(app);
  await waitFor(`a push after the change to ${app.namespace}/${app.name}`, async () => (await pushCount()) > before);
}

function endpointCounts(): { healthy: number; draining: number } {
  const pods = apps.flatMap((app) => app.pods.map((pod) => ({ pod, ports: app.ports.length })));
  const count = (draining: boolean) => pods.filter(({ pod }) => !!pod.draining === draining).reduce((n, { ports }) => n + ports, 0);
  return { healthy: count(false), draining: count(true) };
}

const stream = (streams: StreamStatus[], nodeId: string) => streams.find((candidate) => candidate.nodeId === nodeId);
const sync = (status: StreamStatus | undefined, type: TypeUrl) => status?.types.find((candidate) => candidate.type === type)?.sync;

const frontend = 'frontend-6d9f7-x2k4q';
const gateway = 'gateway-7c4d9-0';
const legacy = 'legacy-batch-5f7d9-k2m8w';
const reports = 'reports-7b8c6-2hx4r';
const typo = `ehco.demo.svc.cluster.local:${echo.ports[0]!.port}`;
const nackMessage = `Cluster ${clusterName(checkout)}: LB policy is not supported: unsupported load balancing policy envoy.load_balancing_policies.wrr_locality`;

test.before(async () => {
  world.dir = await mkdtemp(join(tmpdir(), 'kube-xds-status-page-'));
  world.clients = [];
  world.pageErrors = [];
  world.navigations = 0;
  for (const app of apps) await writeApp(app);
  world.controlPlane = await CliControlPlane.start(['--source', `file:${world.dir}`]);
  const address = world.controlPlane.xdsAddress;
  const all = (app: App) =>
    new Map<TypeUrl, string[]>([[TypeUrl.Listener, [listenerName(app)]], [TypeUrl.Route, [listenerName(app)]], [TypeUrl.Cluster, [clusterName(app)]], [TypeUrl.Endpoint, [clusterName(app)]]]);
  world.clients.push(
    sotwClient(address, node(frontend, 'gRPC Go', '1.85.0', { client_features: ['envoy.lb.does_not_support_overprovisioning', 'xds.config.resource-in-sotw'] }), all(echo)),
    sotwClient(address, node('checkout-84c5b-7tq9z', 'gRPC Java', '1.85.1'), all(cart)),
    deltaGateway(address, { id: gateway, cluster: 'ingress', user_agent_name: 'envoy', user_agent_build_version: { version: { major_number: 1, minor_number: 40 } }, metadata: { fields: { 'kube-xds.io/role': { stringValue: 'gateway' } } } }),
    sotwClient(address, node(legacy, 'gRPC C-core', '1.51.1'), all(checkout), { type: TypeUrl.Cluster, message: nackMessage }),
    sotwClient(address, node(reports, 'gRPC Node Pure JS', '1.14.1'), new Map([[TypeUrl.Listener, [typo]]])),
  );
  await waitFor('every client in its state', async () => {
    const streams = await world.controlPlane.streams();
    return (
      shortTypes.every(([, type]) => sync(stream(streams, frontend), type) === 'SYNCED') &&
      sync(stream(streams, gateway), TypeUrl.Endpoint) === 'SYNCED' &&
      sync(stream(streams, legacy), TypeUrl.Cluster) === 'NACKED' &&
      stream(streams, reports)?.types.some((type) => type.unresolved.length > 0)
    );
  });
  // Endpoint changes, for the latency chart; two pods are left draining.
  await change(echo, () => echo.pods.push({ name: 'echo-5d8c7-c4r8j', ip: '10.244.3.23', zone: 'europe-west1-d' }));
  await change(echo, () => (echo.pods[3]!.draining = true));
  await change(cart, () => cart.pods.push({ name: 'cart-7f9b6-w8c3v', ip: '10.244.2.33', zone: 'europe-west1-c' }));
  await change(ledger, () => (ledger.pods[2]!.draining = true));

  world.browser = await chromium.launch({ executablePath: chromiumExecutable(), args: ['--no-sandbox'] });
  world.page = await world.browser.newPage({ viewport: { width: 1280, height: 900 } });
  world.page.setDefaultTimeout(15_000);
  world.page.on('pageerror', (error) => world.pageErrors.push(error.message));
  world.page.on('framenavigated', () => world.navigations++);
  await world.page.goto(`${world.controlPlane.adminUrl}/`);
  await world.page.locator('#connection[data-state="live"]').waitFor();
});

test.after(async () => {
  world.clients?.forEach((client) => client.close());
  await world.browser?.close();
  await world.controlPlane?.stop();
  if (world.dir) await rm(world.dir, { recursive: true, force: true });
});

test('readiness and source health', async () => {
  const { page } = world;
  assert.is(await page.locator('#ready').textContent(), 'READY');
  const source = page.locator('#source');
  await source.getByText('SYNCED', { exact: true }).waitFor();
  await source.getByText('CONNECTED', { exact: true }).waitFor();
});

test('every Service of the manifests with its ports and endpoints: address:port, pod, zone, health', async () => {
  const { page } = world;
  for (const app of apps) {
    const block = page.locator(`#services tbody[data-service="${app.namespace}/${app.name}"]`);
    await block.waitFor();
    for (const port of app.ports) assert.ok((await block.locator('th').textContent())!.includes(`${port.port}/TCP ${port.name}`), `${app.name} port ${port.port}`);
    for (const pod of app.pods) {
      const rows = block.locator(`tr[data-endpoint="${pod.ip}:${app.ports[0]!.port}"]`);
      const cells = await rows.first().locator('td').allTextContents();
      assert.equal(cells.slice(1), [`${pod.ip}:${app.ports[0]!.port}`, pod.name, pod.zone, pod.draining ? 'DRAINING' : 'HEALTHY']);
      assert.is(await block.locator(`tr[data-endpoint^="${pod.ip}:"]`).count(), app.ports.length, `${pod.name}: one row per Service port`);
    }
  }
  const { healthy, draining } = endpointCounts();
  assert.ok(draining > 0);
  assert.is(await page.locator('#services-count').textContent(), `${apps.length} · ${healthy} healthy, ${draining} draining endpoints`);
});

test('every connected client with its identity and, per type, the sync state the server reports (version on hover)', async () => {
  const { page } = world;
  const streams = await world.controlPlane.streams();
  assert.is(streams.length, world.clients.length);
  assert.is(await page.locator('#clients tbody tr').count(), streams.length);
  for (const status of streams) {
    const row = page.locator(`#clients tr[data-stream="${status.id}"]`);
    const cells = await row.locator('td').allTextContents();
    assert.is(await row.locator('a.node').textContent(), status.nodeId);
    assert.is(cells[1], status.userAgent);
    assert.is(cells[2], status.nodeClass);
    assert.is(cells[3], status.protocol);
    for (const [short, url] of shortTypes) {
      const type = status.types.find((candidate) => candidate.type === url);
      const cell = row.locator(`td[data-type="${short}"][data-sync="${type?.sync ?? 'NONE'}"]`);
      await cell.waitFor();
      if (!type) continue;
      assert.is(await cell.textContent(), type.sync === 'NOT_SENT' ? 'NOT SENT' : type.sync);
      const hover = (await cell.getAttribute('title'))!;
      assert.ok(hover.includes(`version ACKed: ${type.ackedVersion ?? '—'}`), hover);
      assert.ok(hover.includes(`version sent: ${type.lastVersionSent ?? '—'}`), hover);
    }
  }
  const frontendRow = streams.find((status) => status.nodeId === frontend)!;
  for (const [short] of shortTypes) await page.locator(`#clients tr[data-stream="${frontendRow.id}"] td[data-type="${short}"]`).getByText('SYNCED', { exact: true }).waitFor();
  const legacyRow = streams.find((status) => status.nodeId === legacy)!;
  await page.locator(`#clients tr[data-stream="${legacyRow.id}"] td[data-type="CDS"]`).getByText('NACKED', { exact: true }).waitFor();
  const colour = (sync: string) => page.locator(`#clients .chip.${sync}`).first().evaluate((chip) => `${getComputedStyle(chip).color} on ${getComputedStyle(chip).backgroundColor}`);
  assert.is.not(await colour('NACKED'), await colour('SYNCED'));
});

test('the mistyped name, with what the server suggests', async () => {
  const { page } = world;
  const streams = await world.controlPlane.streams();
  const unresolved = stream(streams, reports)!.types.flatMap((type) => type.unresolved)[0]!;
  assert.is(unresolved.name, typo);
  assert.ok(unresolved.didYouMean.includes(listenerName(echo)), `the server suggests ${unresolved.didYouMean.join(', ')}`);
  const row = page.locator(`#unresolved tr[data-name="${typo}"]`);
  await row.waitFor();
  const cells = await row.locator('td').allTextContents();
  assert.equal(cells.slice(0, 3), [reports, 'LDS', typo]);
  assert.ok(cells[3]!.startsWith(`did you mean ${unresolved.didYouMean[0]}`), cells[3]);
  assert.equal(await row.locator('.suggest code').allTextContents(), unresolved.didYouMean);
});

test('the NACK with the message the client sent', async () => {
  const { page } = world;
  const row = page.locator('#nacks tr', { hasText: legacy }).first();
  assert.is(await row.locator('.msg').textContent(), nackMessage);
  assert.is(await row.locator('td').nth(2).textContent(), 'CDS');
});

test('push latency: one point per push the server recorded, with p50 and p99', async () => {
  const { page } = world;
  const pushes = await pushCount();
  assert.ok(pushes >= 5, `${pushes} pushes`);
  await page.waitForFunction((count) => document.querySelectorAll('#latency-chart circle.point').length === count, pushes);
  await page.locator('#latency-chart line.p50').waitFor({ state: 'attached' });
  await page.locator('#latency-chart line.p99').waitFor({ state: 'attached' });
  assert.match((await page.locator('#latency-stats').textContent())!, new RegExp(`^${pushes} pushes shown · p50 [\\d.]+ m?s · p99 [\\d.]+ m?s`));
});

test('a manifest change shows without a reload: a new endpoint, its count and one more push', async () => {
  const { page } = world;
  await page.evaluate(() => Object.assign(window, { sameDocument: true }));
  const navigations = world.navigations;
  const points = await page.locator('#latency-chart circle.point').count();
  const pod: Pod = { name: 'echo-5d8c7-d6n2v', ip: '10.244.3.24', zone: 'europe-west1-d' };
  await change(echo, () => echo.pods.push(pod));
  const row = page.locator(`#services tbody[data-service="demo/echo"] tr[data-endpoint="${pod.ip}:${echo.ports[0]!.port}"]`);
  await row.waitFor();
  assert.equal((await row.locator('td').allTextContents()).slice(1), [`${pod.ip}:${echo.ports[0]!.port}`, pod.name, pod.zone, 'HEALTHY']);
  await page.waitForFunction((count) => document.querySelectorAll('#latency-chart circle.point').length > count, points);
  const { healthy, draining } = endpointCounts();
  await page.locator('#services-count', { hasText: `${healthy} healthy, ${draining} draining` }).waitFor();
  assert.is(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true);
  assert.is(world.navigations, navigations);
});

test('a full-page screenshot for CI output (and the README when asked)', async () => {
  const { page } = world;
  const streams = await world.controlPlane.streams();
  const gatewayRow = stream(streams, gateway)!;
  for (const [short] of shortTypes) await page.locator(`#clients tr[data-stream="${gatewayRow.id}"] td[data-type="${short}"][data-sync="SYNCED"]`).waitFor();
  await mkdir(dirname(artifact), { recursive: true });
  await page.screenshot({ path: artifact, fullPage: true });
  console.log(`  status page screenshot: ${artifact}`);
  const copy = process.env.KUBE_XDS_SCREENSHOT;
  if (!copy) return;
  // For the README, a rolling update of echo paced like a real one, so the chart spans time.
  const old = echo.pods.filter((pod) => !pod.draining);
  for (const [i, pod] of old.entries()) {
    await change(echo, () => echo.pods.push({ name: `echo-6f4b8-${pod.name.slice(-5, -1)}${i}`, ip: `10.244.${(i % 3) + 1}.${60 + i}`, zone: pod.zone }));
    await sleep(400);
    await change(echo, () => (pod.draining = true));
    await sleep(400);
    if (i < old.length - 1) await change(echo, () => echo.pods.splice(echo.pods.indexOf(pod), 1));
    await sleep(400);
  }
  await page.waitForFunction((count) => document.querySelectorAll('#latency-chart circle.point').length === count, await pushCount());
  for (const [short] of shortTypes) await page.locator(`#clients tr[data-stream="${gatewayRow.id}"] td[data-type="${short}"][data-sync="SYNCED"]`).waitFor();
  await page.screenshot({ path: resolve(copy), fullPage: true });
  console.log(`  status page screenshot: ${resolve(copy)}`);
});

test('strings from clients are shown as text, never run as markup', async () => {
  const { page } = world;
  const hostile = `<img src=x onerror="document.title='injected'">`;
  const name = `<b>${typo}</b>`;
  world.clients.push(sotwClient(world.controlPlane.xdsAddress, node(hostile, '<i>agent</i>', '1'), new Map([[TypeUrl.Listener, [name]]])));
  const row = page.locator('#clients tbody tr', { hasText: hostile });
  await row.waitFor();
  assert.is(await row.locator('a.node').textContent(), hostile);
  assert.is(await row.locator('td').nth(1).textContent(), '<i>agent</i>/1');
  await page.locator('#unresolved tr', { hasText: name }).waitFor();
  assert.is(await page.locator('#clients img, #clients i, #unresolved img, #unresolved td b').count(), 0);
  assert.not.match(await page.title(), 'injected');
});

test('polls that fail show "connection lost"; the page recovers when the control plane is back', async () => {
  const { page } = world;
  await world.controlPlane.stop();
  await page.locator('#connection[data-state="lost"]').waitFor();
  assert.match((await page.locator('#lost').textContent())!, /^Connection lost since \d\d:\d\d:\d\d/);
  assert.ok(await page.locator('#lost').isVisible());
  assert.ok(await page.locator('body.stale').isVisible());
  await world.controlPlane.restart();
  await page.locator('#connection[data-state="live"]').waitFor();
  assert.not.ok(await page.locator('#lost').isVisible());
  // Fresh data: the restarted process has no client yet.
  await page.locator('#clients .empty', { hasText: 'No client connected.' }).waitFor();
  assert.equal(world.pageErrors, []);
});

test.run();
