// One Gateway's model: the Routes whose parentRefs name it, attached to the listeners that
// accept them (sectionName/port, protocol, allowedRoutes, hostname), resolved into route
// entries per listener and hostname, with what became of each attachment for the Routes'
// status and how many Routes each listener has for the Gateway's. Pure: the store calls it
// for each Gateway to rebuild.
import type { GatewayListenerModel, GatewayModel, GatewayVirtualHostModel } from '../gateway-model.ts';
import { comparePrecedence, type Candidate } from '../routes/precedence.ts';
import { entryOf, type BackendResolver, type ParentOutcome, type ParentOutcomes } from '../routes/route-join.ts';
import type { ParentRefRecord, RouteRecord } from '../routes/route-record.ts';
import { crossNamespaceProblem } from '../routes/route-status.ts';
import type { GatewayRecord, ListenerRecord } from './gateway-record.ts';
import { compareSpecificity, covers, intersectHostnames } from './hostnames.ts';

export interface JoinedGateway {
  readonly model: GatewayModel;
  /** Route key -> parentRef index -> outcome, for the parentRefs naming this Gateway. */
  readonly outcomes: ParentOutcomes;
  /** Listener name -> the number of Routes attached to it. */
  readonly attachedRoutes: ReadonlyMap<string, number>;
}

/** Why kube-xds cannot program a listener, or undefined when it can. */
export function listenerRefusal(listener: ListenerRecord): { reason: string; message: string } | undefined {
  if (listener.protocol !== 'HTTP') {
    const grpc = listener.protocol === 'GRPC' ? ' (gRPC runs over HTTP listeners)' : '';
    return { reason: 'UnsupportedProtocol', message: `protocol ${listener.protocol} is not supported${grpc}: kube-xds serves HTTP listeners only (no TLS yet)` };
  }
  if (listener.namespaces === 'Selector') return { reason: 'UnsupportedValue', message: 'allowedRoutes.namespaces.from: Selector is not supported yet (use Same or All)' };
  return undefined;
}

interface Attachment {
  readonly route: RouteRecord;
  readonly listener: ListenerRecord;
  readonly hostnames: readonly string[];
}

/** The parentRefs of `route` that name the Gateway `namespace/name`. */
export function gatewayParentsNaming(route: RouteRecord, namespace: string, name: string): ParentRefRecord[] {
  return route.parents.filter((parent) => parent.gateway && parent.namespace === namespace && parent.name === name);
}

export function joinGateway(gateway: GatewayRecord, routes: Iterable<RouteRecord>, resolves: BackendResolver): JoinedGateway {
  const outcomes: ParentOutcomes = new Map();
  const attachments: Attachment[] = [];
  for (const route of routes) {
    for (const parent of gatewayParentsNaming(route, gateway.namespace, gateway.name)) {
      const { outcome, attached } = attach(gateway, route, parent);
      let byParent = outcomes.get(route.key);
      if (byParent === undefined) outcomes.set(route.key, (byParent = new Map()));
      byParent.set(parent.index, outcome);
      attachments.push(...attached);
    }
  }
  const attachedRoutes = new Map<string, number>(gateway.listeners.map((listener) => [listener.name, 0]));
  const listeners: GatewayListenerModel[] = [];
  for (const listener of gateway.listeners) {
    if (listenerRefusal(listener) !== undefined) continue;
    const own = attachments.filter((attachment) => attachment.listener === listener);
    attachedRoutes.set(listener.name, new Set(own.map((attachment) => attachment.route.key)).size);
    const hostnames = [...new Set(own.flatMap((attachment) => attachment.hostnames))].sort(compareSpecificity);
    const virtualHosts = hostnames.map((hostname) => virtualHost(hostname, own, resolves));
    listeners.push(Object.freeze({ name: listener.name, port: listener.port, virtualHosts: Object.freeze(virtualHosts) }));
  }
  const model = Object.freeze({ namespace: gateway.namespace, name: gateway.name, listeners: Object.freeze(listeners) });
  return { model, outcomes, attachedRoutes };
}

/** What one parentRef naming the Gateway comes to, and the listeners it attaches the Route to. */
function attach(gateway: GatewayRecord, route: RouteRecord, parent: ParentRefRecord): { outcome: ParentOutcome; attached: Attachment[] } {
  const refuse = (reason: Extract<ParentOutcome, { accepted: false }>['reason'], message: string) => ({ outcome: { accepted: false, reason, message } as const, attached: [] });
  if (route.invalid !== undefined) return refuse('UnsupportedValue', route.invalid);
  const ref = `Gateway ${gateway.namespace}/${gateway.name}`;
  const named = gateway.listeners.filter((listener) => (parent.sectionName === undefined || listener.name === parent.sectionName) && (parent.port === undefined || listener.port === parent.port));
  if (named.length === 0) {
    const what = [parent.sectionName === undefined ? '' : `named ${parent.sectionName}`, parent.port === undefined ? '' : `on port ${parent.port}`].filter(Boolean).join(' ');
    return refuse('NoMatchingParent', `${ref} has no listener ${what}`);
  }
  const usable = named.filter((listener) => listenerRefusal(listener) === undefined);
  if (usable.length === 0) return refuse('NoMatchingParent', named.map((listener) => `listener ${listener.name}: ${listenerRefusal(listener)!.message}`).join('; '));
  const allowed = usable.filter((listener) => listener.kinds.includes(route.kind) && (listener.namespaces === 'All' || route.namespace === gateway.namespace));
  if (allowed.length === 0) {
    return refuse('NotAllowedByListeners', `no listener of ${ref} allows a ${route.kind} from namespace ${route.namespace} (allowedRoutes: ${usable.map((listener) => `${listener.name}: from ${listener.namespaces}, kinds ${listener.kinds.join('/') || 'none'}`).join('; ')})`);
  }
  const attached = allowed.flatMap((listener) => {
    const hostnames = intersectHostnames(listener.hostname, route.hostnames);
    return hostnames.length === 0 ? [] : [{ route, listener, hostnames }];
  });
  if (attached.length === 0) {
    return refuse('NoMatchingListenerHostname', `no hostname of the Route (${route.hostnames.join(', ')}) is accepted by a listener of ${ref} (${allowed.map((listener) => `${listener.name}: ${listener.hostname ?? 'any'}`).join('; ')})`);
  }
  const applicable = route.rules.filter((rule) => rule.dropped === undefined);
  if (applicable.length === 0 && route.rules.length > 0) return refuse('UnsupportedValue', `no rule can be applied: ${route.rules.map((rule) => rule.dropped).join('; ')}`);
  return { outcome: { accepted: true, notes: [], unserved: [] }, attached };
}

/**
 * The entries for one hostname: Routes attached with it first, then those whose wildcard
 * covers it (the Gateway API gives precedence to the most specific hostname; Envoy picks one
 * virtual host per request, so the broader Routes' rules follow as fallbacks), each group in
 * Route precedence. A match already claimed earlier in the host is dropped.
 */
function virtualHost(hostname: string, attachments: readonly Attachment[], resolves: BackendResolver): GatewayVirtualHostModel {
  const resolvesFor = (route: RouteRecord): BackendResolver => (backend) => crossNamespaceProblem(route, backend) === undefined && resolves(backend);
  const groups = new Map<string, Candidate[]>();
  for (const { route, hostnames } of attachments) {
    const via = hostnames.includes(hostname) ? hostname : hostnames.filter((pattern) => covers(pattern, hostname)).sort(compareSpecificity)[0];
    if (via === undefined) continue;
    let group = groups.get(via);
    if (group === undefined) groups.set(via, (group = []));
    for (const rule of route.rules) {
      if (rule.dropped !== undefined) continue;
      rule.matches.forEach((match, matchIndex) => group.push({ route, rule, matchIndex, match }));
    }
  }
  const ordered = [...groups].sort(([a], [b]) => compareSpecificity(a, b)).flatMap(([, group]) => group.sort(comparePrecedence));
  const claimed = new Set<string>();
  const routes = ordered.flatMap((candidate) => {
    const key = JSON.stringify(candidate.match.match);
    if (claimed.has(key)) return [];
    claimed.add(key);
    // A backend the Route may not send to (another namespace) fails its share, like a missing one.
    return [entryOf(candidate, resolvesFor(candidate.route))];
  });
  return Object.freeze({ hostname, routes: Object.freeze(routes) });
}
