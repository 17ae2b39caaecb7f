// The debug line of a flush: one line whatever the number of Services, resources and streams.
import { log } from '../common/log.ts';
import type { SnapshotChanges } from '../control-plane/snapshot.ts';
import type { PatchOutcome } from '../control-plane/snapshot-cache.ts';
import { typeShortName } from '../control-plane/types.ts';
import type { ClientClass } from '../envoy-config/resource-set.ts';

/** The line names the Services it applied when there are at most this many. */
const servicesNamedInLog = 10;

export function logFlush(keys: readonly string[], endpointsOnly: boolean, outcomes: ReadonlyMap<ClientClass, PatchOutcome | undefined>, durationMs: number): void {
  const changed: Record<string, Record<string, number>> = {};
  const removed: Record<string, Record<string, number>> = {};
  const streamsReached: Record<string, number> = {};
  for (const [clientClass, outcome] of outcomes) {
    streamsReached[clientClass] = outcome?.streamsReached ?? 0;
    if (!outcome) continue;
    addCounts(changed, clientClass, outcome.changes, 'changed');
    addCounts(removed, clientClass, outcome.changes, 'removed');
  }
  log.debug({
    services: keys.length,
    ...(keys.length <= servicesNamedInLog ? { serviceKeys: keys } : {}),
    endpointsOnly,
    changed,
    removed,
    streamsReached,
    durationMs: Math.round(durationMs * 100) / 100,
  }, 'changes applied and pushed');
}

/** Counts per type short name (e.g. `{ EDS: 2 }`), under the class when any. */
function addCounts(into: Record<string, Record<string, number>>, clientClass: ClientClass, changes: SnapshotChanges, kind: 'changed' | 'removed'): void {
  for (const [type, change] of changes) {
    if (change[kind].size === 0) continue;
    (into[clientClass] ??= {})[typeShortName[type]] = change[kind].size;
  }
}
