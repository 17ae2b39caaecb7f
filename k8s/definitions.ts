// Which definition the file source uses when one object (kind, namespace and name) is
// written more than once, in two files or twice in one: the one that comes last in file
// name order, then document order. That is what `kubectl apply -f DIR` leaves in a cluster
// (it applies the files in name order, each over the one before), and it does not depend
// on which file appeared first, so the model is the same live and after a restart.
import { compareText } from '../common/compare.ts';
import type { ManifestObject } from './manifests.ts';

export interface Definitions {
  /** The definition used for each object, by key. */
  readonly chosen: ReadonlyMap<string, ManifestObject>;
  /** The objects written more than once: every definition, the used one last. */
  readonly duplicates: ReadonlyMap<string, readonly ManifestObject[]>;
}

/** `files`: each file's objects in document order, by file name. */
export function chooseDefinitions(files: ReadonlyMap<string, readonly ManifestObject[]>): Definitions {
  const byKey = new Map<string, ManifestObject[]>();
  for (const name of [...files.keys()].sort(compareText)) {
    for (const manifest of files.get(name) ?? []) {
      const definitions = byKey.get(manifest.key);
      if (definitions === undefined) byKey.set(manifest.key, [manifest]);
      else definitions.push(manifest);
    }
  }
  const chosen = new Map<string, ManifestObject>();
  const duplicates = new Map<string, readonly ManifestObject[]>();
  for (const [key, definitions] of byKey) {
    chosen.set(key, definitions.at(-1)!);
    if (definitions.length > 1) duplicates.set(key, definitions);
  }
  return { chosen, duplicates };
}
