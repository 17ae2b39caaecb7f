// The entries of one Service: every Route attached to it (a mesh parentRef naming it),
// resolved against the Services that exist, in precedence order, with what became of each
// attachment for the Routes' status. Pure: the store calls it for each Service to rebuild.
import { describeUnserved, type WhyUnserved } from '../client-support.ts';
import type { ServiceRecord } from '../normalize.ts';
import type { RouteBackendModel, RouteEntryModel } from '../route-model.ts';
import { comparePrecedence, type Candidate } from './precedence.ts';
import type { BackendRefRecord, ParentRefRecord, RouteRecord } from './route-record.ts';

/** What became of one parentRef of a Route; route-status.ts turns it into conditions. */
export type ParentOutcome =
  | {
      readonly accepted: true;
      readonly notes: readonly string[];
      /** Its matches some client classes are not served (`rule 1 is not served to ...: why`). */
      readonly unserved: readonly string[];
    }
  | {
      readonly accepted: false;
      /** The last two for Gateway parents only. */
      readonly reason: 'NoMatchingParent' | 'Conflicted' | 'UnsupportedValue' | 'NotAllowedByListeners' | 'NoMatchingListenerHostname';
      readonly message: string;
    };

/** Route key -> parentRef index -> outcome. */
export type ParentOutcomes = Map<string, Map<number, ParentOutcome>>;

export interface JoinedRoutes {
  readonly entries: readonly RouteEntryModel[];
  readonly outcomes: ParentOutcomes;
}

/** Whether a backendRef names an existing Service port. */
export type BackendResolver = (backend: BackendRefRecord) => boolean;

interface Attachment {
  readonly route: RouteRecord;
  readonly parent: ParentRefRecord;
  /** The Service ports it applies to; undefined: every port. */
  readonly ports: readonly number[] | undefined;
}

/** The mesh parentRefs of `route` that name the Service `namespace/name`. */
export function parentsNaming(route: RouteRecord, namespace: string, name: string): ParentRefRecord[] {
  return route.parents.filter((parent) => parent.mesh && parent.namespace === namespace && parent.name === name);
}

/** `whyUnserved` says which client classes are not served an entry; without it, every class is assumed served. */
export function joinRoutes(
  namespace: string,
  name: string,
  service: ServiceRecord | undefined,
  routes: Iterable<RouteRecord>,
  resolves: BackendResolver,
  whyUnserved?: WhyUnserved,
): JoinedRoutes {
  const outcomes: ParentOutcomes = new Map();
  const decide = (route: RouteRecord, parent: ParentRefRecord, outcome: ParentOutcome) => {
    let byParent = outcomes.get(route.key);
    if (byParent === undefined) outcomes.set(route.key, (byParent = new Map()));
    byParent.set(parent.index, outcome);
  };
  const attachments: Attachment[] = [];
  for (const route of routes) {
    for (const parent of parentsNaming(route, namespace, name)) {
      const refused = refusal(route, parent, service);
      if (refused !== undefined) decide(route, parent, refused);
      else attachments.push({ route, parent, ports: portsOf(parent, service!) });
    }
  }
  const accepted = resolveKindConflicts(attachments, service, decide);
  const candidates: Candidate[] = [];
  const owners = new Map<Candidate, Attachment>();
  for (const attachment of accepted) {
    const { route, parent } = attachment;
    const rules = route.rules.filter((rule) => rule.dropped === undefined);
    if (rules.length === 0 && route.rules.length > 0) {
      decide(route, parent, { accepted: false, reason: 'UnsupportedValue', message: `no rule can be applied: ${route.rules.map((rule) => rule.dropped).join('; ')}` });
      continue;
    }
    for (const rule of rules) {
      rule.matches.forEach((match, matchIndex) => {
        for (const port of attachment.ports ?? [undefined]) {
          const candidate: Candidate = { route, rule, matchIndex, match, ...(port === undefined ? {} : { port }) };
          candidates.push(candidate);
          owners.set(candidate, attachment);
        }
      });
    }
  }
  candidates.sort(comparePrecedence);
  const { kept, shadowed } = withoutShadowed(candidates);
  const tally = new Map<Attachment, { total: number; lost: string[] }>();
  for (const candidate of candidates) {
    const attachment = owners.get(candidate)!;
    let counts = tally.get(attachment);
    if (counts === undefined) tally.set(attachment, (counts = { total: 0, lost: [] }));
    counts.total++;
    const note = shadowed.get(candidate);
    if (note !== undefined) counts.lost.push(note);
  }
  const entries = kept.map((candidate) => entryOf(candidate, resolves));
  const unserved = whyUnserved === undefined ? new Map<Attachment, ClientRefusals>() : clientRefusals(kept, entries, owners, whyUnserved);
  for (const attachment of accepted) {
    const { route, parent } = attachment;
    if (outcomes.get(route.key)?.has(parent.index)) continue;
    const { total, lost } = tally.get(attachment) ?? { total: 0, lost: [] };
    const refusals = unserved.get(attachment);
    if (total > 0 && lost.length === total) {
      decide(route, parent, { accepted: false, reason: 'Conflicted', message: `every match is already claimed by an earlier Route: ${unique(lost).join('; ')}` });
    } else if (refusals !== undefined && refusals.served === 0) {
      decide(route, parent, { accepted: false, reason: 'UnsupportedValue', message: `no rule can be served to any client: ${unique(refusals.items).join('; ')}` });
    } else {
      decide(route, parent, { accepted: true, notes: unique(lost), unserved: unique(refusals?.items ?? []) });
    }
  }
  return { entries: Object.freeze(entries), outcomes };
}

interface ClientRefusals {
  /** `rule 1 match 0 is not served to ...: why`, per entry some class is not served. */
  readonly items: string[];
  /** Entries at least one class is served. */
  served: number;
}

/** Per attachment, the entries some client class is not served, and how many some class is. */
function clientRefusals(kept: readonly Candidate[], entries: readonly RouteEntryModel[], owners: ReadonlyMap<Candidate, Attachment>, whyUnserved: WhyUnserved): Map<Attachment, ClientRefusals> {
  const byAttachment = new Map<Attachment, ClientRefusals>();
  kept.forEach((candidate, index) => {
    const attachment = owners.get(candidate)!;
    let refusals = byAttachment.get(attachment);
    if (refusals === undefined) byAttachment.set(attachment, (refusals = { items: [], served: 0 }));
    const unserved = describeUnserved(whyUnserved(entries[index]!));
    if (unserved?.everyClass !== true) refusals.served++;
    if (unserved === undefined) return;
    const match = candidate.rule.matches.length > 1 ? ` match ${candidate.matchIndex}` : '';
    refusals.items.push(`rule ${candidate.rule.index}${match} is ${unserved.text}`);
  });
  return byAttachment;
}

/** Why a parentRef does not attach the Route to this Service, if it does not. */
function refusal(route: RouteRecord, parent: ParentRefRecord, service: ServiceRecord | undefined): ParentOutcome | undefined {
  if (route.invalid !== undefined) return { accepted: false, reason: 'UnsupportedValue', message: route.invalid };
  if (parent.namespace !== route.namespace) {
    return {
      accepted: false,
      reason: 'UnsupportedValue',
      message: `a consumer route (its parent Service is in namespace ${parent.namespace}, the Route in ${route.namespace}) applies only to clients in the Route's namespace; kube-xds sends every client the same routes, so it does not apply consumer routes yet`,
    };
  }
  const ref = `Service ${parent.namespace}/${parent.name}`;
  if (service === undefined) return { accepted: false, reason: 'NoMatchingParent', message: `${ref} does not exist` };
  const byName = parent.sectionName === undefined ? undefined : service.ports.find((port) => port.name === parent.sectionName);
  if (parent.sectionName !== undefined && byName === undefined) return { accepted: false, reason: 'NoMatchingParent', message: `${ref} has no port named ${parent.sectionName}` };
  if (parent.port !== undefined && !service.ports.some((port) => port.port === parent.port)) {
    return { accepted: false, reason: 'NoMatchingParent', message: `${ref} has no port ${parent.port}` };
  }
  if (byName !== undefined && parent.port !== undefined && byName.port !== parent.port) {
    return { accepted: false, reason: 'NoMatchingParent', message: `${ref}'s port named ${parent.sectionName} is ${byName.port}, not ${parent.port}` };
  }
  return undefined;
}

function portsOf(parent: ParentRefRecord, service: ServiceRecord): readonly number[] | undefined {
  if (parent.port !== undefined) return [parent.port];
  if (parent.sectionName !== undefined) return service.ports.filter((port) => port.name === parent.sectionName).map((port) => port.port);
  return undefined;
}

/**
 * GEP-1294: when Routes of both kinds attach to one Service port, only the GRPCRoutes apply
 * there and the HTTPRoutes are Conflicted on it. An HTTPRoute attached to every port keeps
 * the ports no GRPCRoute takes.
 */
function resolveKindConflicts(attachments: readonly Attachment[], service: ServiceRecord | undefined, decide: (route: RouteRecord, parent: ParentRefRecord, outcome: ParentOutcome) => void): Attachment[] {
  const allPorts = [...new Set(service?.ports.map((port) => port.port) ?? [])].sort((a, b) => a - b);
  const grpcPorts = new Map<number, string>();
  for (const { route, ports } of attachments) {
    if (route.kind !== 'GRPCRoute') continue;
    for (const port of ports ?? allPorts) if (!grpcPorts.has(port)) grpcPorts.set(port, `${route.namespace}/${route.name}`);
  }
  if (grpcPorts.size === 0) return [...attachments];
  return attachments.flatMap((attachment) => {
    if (attachment.route.kind === 'GRPCRoute') return [attachment];
    const wanted = attachment.ports ?? allPorts;
    const free = wanted.filter((port) => !grpcPorts.has(port));
    if (free.length > 0) return [{ ...attachment, ports: free.length === allPorts.length && attachment.ports === undefined ? undefined : free }];
    const takers = unique(wanted.map((port) => `GRPCRoute ${grpcPorts.get(port)} on port ${port}`));
    decide(attachment.route, attachment.parent, {
      accepted: false,
      reason: 'Conflicted',
      message: `a GRPCRoute is attached to the same Service port and takes precedence over an HTTPRoute (GEP-1294): ${takers.join(', ')}`,
    });
    return [];
  });
}

/**
 * Drops each candidate whose very match an earlier one already claims on its port: it could
 * never be chosen. Returns, per dropped candidate of another Route than the winner, a note
 * naming the winner.
 */
function withoutShadowed(sorted: readonly Candidate[]): { kept: Candidate[]; shadowed: Map<Candidate, string> } {
  const kept: Candidate[] = [];
  const shadowed = new Map<Candidate, string>();
  const claimed = new Map<string, Candidate[]>();
  for (const candidate of sorted) {
    const key = JSON.stringify(candidate.match.match);
    const same = claimed.get(key) ?? [];
    const winner = same.find((earlier) => earlier.port === undefined || earlier.port === candidate.port);
    if (winner === undefined) {
      kept.push(candidate);
      claimed.set(key, [...same, candidate]);
      continue;
    }
    if (winner.route.key !== candidate.route.key) {
      shadowed.set(candidate, `rule ${candidate.rule.index} match ${candidate.matchIndex} is the same as rule ${winner.rule.index} match ${winner.matchIndex} of ${winner.route.kind} ${winner.route.namespace}/${winner.route.name}, which comes first (older, or first by namespace/name)`);
    }
  }
  return { kept, shadowed };
}

export function entryOf({ route, rule, matchIndex, match, port }: Candidate, resolves: BackendResolver): RouteEntryModel {
  const backends = rule.backends.map(
    (backend): RouteBackendModel => Object.freeze({
      namespace: backend.namespace,
      name: backend.name,
      port: backend.port,
      weight: backend.weight,
      resolved: backend.invalidKind === undefined && resolves(backend),
    }),
  );
  return Object.freeze({
    origin: Object.freeze({ kind: route.kind, namespace: route.namespace, name: route.name, rule: rule.index, match: matchIndex }),
    ...(port === undefined ? {} : { port }),
    match: match.match,
    backends: Object.freeze(backends),
    ...(rule.timeoutMs === undefined ? {} : { timeoutMs: rule.timeoutMs }),
    ...(rule.retry === undefined ? {} : { retry: rule.retry }),
  });
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}
