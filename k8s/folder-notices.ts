// What the file source says about the state of its folder, once per situation rather than
// on every scan: objects defined more than once, EndpointSlices that belong to no Service,
// and a folder left with no Service at all.
import { log } from '../common/log.ts';
import type { Definitions } from './definitions.ts';
import { describePlace } from './manifests.ts';
import { SERVICE_NAME_LABEL } from './normalize.ts';

interface ReportedDuplicate {
  readonly kind: string;
  readonly object: string;
  /** The files of its definitions, in order: a new set of files is a new conflict. */
  readonly files: string;
}

export class FolderNotices {
  readonly #dir: string;
  readonly #duplicates = new Map<string, ReportedDuplicate>();
  readonly #unowned = new Set<string>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Objects currently defined more than once. */
  get duplicates(): number {
    return this.#duplicates.size;
  }

  /** After each change of the folder: its definitions, and how many Services the model had before and has now. */
  update(definitions: Definitions, servicesBefore: number, servicesNow: number): void {
    this.#reportDuplicates(definitions.duplicates);
    this.#reportUnowned(definitions.chosen);
    if (servicesBefore > 0 && servicesNow === 0) {
      log.warn({ dir: this.#dir, removed: servicesBefore }, 'the manifest folder defines no Service any more: every Service is gone (usually a mistake)');
    }
  }

  #reportDuplicates(duplicates: Definitions['duplicates']): void {
    for (const [key, { kind, object }] of this.#duplicates) {
      if (duplicates.has(key)) continue;
      this.#duplicates.delete(key);
      log.info({ kind, object }, 'an object is no longer defined more than once');
    }
    for (const [key, definitions] of duplicates) {
      // Edits that only move a definition within its file are not a new conflict.
      const files = definitions.map((definition) => definition.place.file).join('\n');
      if (this.#duplicates.get(key)?.files === files) continue;
      const used = definitions.at(-1)!;
      this.#duplicates.set(key, { kind: used.kind, object: used.ref, files });
      log.warn({
        kind: used.kind,
        object: used.ref,
        used: describePlace(used.place),
        ignored: definitions.slice(0, -1).map((definition) => describePlace(definition.place)),
      }, 'an object is defined more than once; the definition in the file that sorts last is used');
    }
  }

  /** Once per EndpointSlice, until it gains the label or is gone. */
  #reportUnowned(used: Definitions['chosen']): void {
    for (const key of this.#unowned) if (used.get(key)?.unowned !== true) this.#unowned.delete(key);
    for (const [key, manifest] of used) {
      if (!manifest.unowned || this.#unowned.has(key)) continue;
      this.#unowned.add(key);
      log.warn({
        ...manifest.place,
        kind: manifest.kind,
        object: manifest.ref,
      }, `an EndpointSlice without the ${SERVICE_NAME_LABEL} label belongs to no Service; it is ignored`);
    }
  }
}
