// The running stages wired as `kube-xds serve` wires them, on a temporary folder of manifests:
// file source -> pipeline -> snapshot cache -> ADS server, with Metrics and RecentActivity as
// their observers, and raw clients; plus a parser for the Prometheus text format.
import { mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdsServer } from '../../control-plane/ads-server.ts';
import { fanOut } from '../../control-plane/observer.ts';
import { SnapshotCache } from '../../control-plane/snapshot-cache.ts';
import { classifyNode } from '../../envoy-config/client-class.ts';
import { clientClasses } from '../../envoy-config/resource-set.ts';
import { FileSource } from '../../k8s/file-source.ts';
import { RecentActivity } from '../../ops/activity.ts';
import { Metrics } from '../../ops/metrics.ts';
import type { MetricsParts } from '../../ops/parts.ts';
import { SnapshotPipeline } from '../../pipeline/snapshot-pipeline.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import { RawAdsClient, grpcNode } from '../support/raw-ads-client.ts';
import { RawDeltaClient } from '../support/raw-delta-client.ts';
import { yaml } from '../k8s/folder-harness.ts';
import type { Json } from '../k8s/fixtures.ts';
import { options } from '../pipeline/fixtures.ts';
import type { envoy } from '../../generated/envoy.js';

export class Stack implements MetricsParts {
  readonly cache = new SnapshotCache();
  readonly metrics: Metrics;
  readonly activity = new RecentActivity();
  readonly source: FileSource;
  readonly pipeline: SnapshotPipeline;
  readonly ads: AdsServer;
  readonly #clients: Array<{ close(): void }> = [];
  readonly #log: CapturedLog;
  readonly dir: string;
  address = '';

  private constructor(dir: string) {
    this.dir = dir;
    this.#log = captureLog();
    this.metrics = new Metrics(this);
    this.source = new FileSource(dir, { debounceMs: 10, observer: this.metrics });
    this.pipeline = new SnapshotPipeline(this.source, this.cache, options, undefined, this.metrics);
    this.ads = new AdsServer(this.cache, classifyNode, {}, fanOut(this.metrics, this.activity));
  }

  /** Writes the files, then starts everything and waits for the first snapshots. */
  static async start(files: Record<string, Json[]>): Promise<Stack> {
    const stack = new Stack(await mkdtemp(join(tmpdir(), 'kube-xds-ops-')));
    for (const [name, documents] of Object.entries(files)) await stack.write(name, ...documents);
    await stack.source.start();
    stack.pipeline.start();
    stack.address = `127.0.0.1:${await stack.ads.start('127.0.0.1:0')}`;
    return stack;
  }

  ready = (): boolean => clientClasses.every((clientClass) => this.cache.get(clientClass) !== undefined);

  /** Writes a manifest file at once (through a hidden file and a rename), so no scan sees it half-written. */
  async write(name: string, ...documents: Json[]): Promise<void> {
    const hidden = join(this.dir, `.${name}.tmp`);
    await writeFile(hidden, yaml(...documents));
    await rename(hidden, join(this.dir, name));
  }

  remove(name: string): Promise<void> {
    return unlink(join(this.dir, name));
  }

  client(node: envoy.config.core.v3.INode = grpcNode()): RawAdsClient {
    const client = new RawAdsClient(this.address, node);
    this.#clients.push(client);
    return client;
  }

  deltaClient(node: envoy.config.core.v3.INode): RawDeltaClient {
    const client = new RawDeltaClient(this.address, node);
    this.#clients.push(client);
    return client;
  }

  async scrape(): Promise<Samples> {
    return parseExposition((await this.metrics.exposition()).text);
  }

  async stop(): Promise<void> {
    for (const client of this.#clients) client.close();
    this.pipeline.stop();
    await this.source.stop();
    await this.ads.stop();
    await rm(this.dir, { recursive: true, force: true });
    this.#log.restore();
  }
}

export async function withStack(files: Record<string, Json[]>, body: (stack: Stack) => Promise<void>): Promise<void> {
  const stack = await Stack.start(files);
  try {
    await body(stack);
  } finally {
    await stack.stop();
  }
}

/** One scrape: the families' types, and each sample by name and labels. */
export class Samples {
  readonly types = new Map<string, string>();
  readonly #samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];

  add(name: string, labels: Record<string, string>, value: number): void {
    this.#samples.push({ name, labels, value });
  }

  /** The sample with exactly these labels; undefined when there is none. */
  get(name: string, labels: Record<string, string> = {}): number | undefined {
    const wanted = labelKey(labels);
    return this.#samples.find((sample) => sample.name === name && labelKey(sample.labels) === wanted)?.value;
  }

  /** Every sample of `name` whose labels include `labels`. */
  all(name: string, labels: Record<string, string> = {}): Array<{ labels: Record<string, string>; value: number }> {
    return this.#samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
  }

  sum(name: string, labels: Record<string, string> = {}): number {
    return this.all(name, labels).reduce((total, sample) => total + sample.value, 0);
  }
}

export function parseExposition(text: string): Samples {
  const samples = new Samples();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) samples.types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    samples.add(sample[1]!, labels, Number(sample[3]));
  }
  return samples;
}

function labelKey(labels: Record<string, string>): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}
