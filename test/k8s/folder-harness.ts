// A FileSource on a temporary folder of manifests, with its change batches and log lines.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FileSource, type FileSourceOptions } from '../../k8s/file-source.ts';
import type { ServiceModel } from '../../k8s/model.ts';
import { waitFor } from '../support/wait.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import type { Json } from './fixtures.ts';

export interface Harness {
  readonly dir: string;
  readonly source: FileSource;
  readonly log: CapturedLog;
  readonly batches: ReadonlySet<string>[];
  write(name: string, ...documents: Json[]): Promise<void>;
  endpoints(key: string): string[] | undefined;
  changeOf(key: string, since: number): Promise<void>;
}

export type Write = Harness['write'];

export const yaml = (...documents: Json[]) => documents.map((document) => stringify(document)).join('---\n');

export async function withFolder(
  seed: (write: Write, dir: string) => Promise<void>,
  options: FileSourceOptions,
  body: (harness: Harness) => Promise<void>,
): Promise<void> {
  const log = captureLog();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-files-'));
  const write = (name: string, ...documents: Json[]) => writeFile(join(dir, name), yaml(...documents));
  const source = new FileSource(dir, { debounceMs: 10, ...options });
  const batches: ReadonlySet<string>[] = [];
  source.onChange((changed) => batches.push(changed));
  try {
    await seed(write, dir);
    await source.start();
    await body({
      dir,
      source,
      log,
      batches,
      write,
      endpoints: (key) => source.services().get(key)?.ports[0]?.endpoints.map((e) => `${e.address}:${e.port}`),
      changeOf: (key, since) => waitFor(`a change of ${key}`, () => batches.slice(since).some((batch) => batch.has(key))).then(() => {}),
    });
  } finally {
    await source.stop();
    await rm(dir, { recursive: true, force: true });
    log.restore();
  }
}

/** The model a fresh FileSource loads from `dir`, as a control plane restarted on it would. */
export async function loadFolder(dir: string): Promise<Map<string, ServiceModel>> {
  const source = new FileSource(dir, { resyncMs: 0 });
  try {
    await source.start();
    return new Map(source.services());
  } finally {
    await source.stop();
  }
}
