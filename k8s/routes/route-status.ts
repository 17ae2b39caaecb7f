// A Route's status as kube-xds sees it: per mesh parentRef, the Accepted and ResolvedRefs
// conditions of the Gateway API (RouteParentStatus), written under MESH_CONTROLLER_NAME.
// Conditions carry no lastTransitionTime here: the status writer adds it, keeping the one
// already written when nothing changed.
import type { ParentOutcome } from './route-join.ts';
import type { BackendRefRecord, RouteKind, RouteRecord } from './route-record.ts';

/** status.parents[].controllerName of the entries kube-xds writes for Service parents. */
export const MESH_CONTROLLER_NAME = 'kube-xds.io/mesh';
/**
 * ...and for Gateway parents: the `spec.controllerName` a GatewayClass of kube-xds's names
 * (kube-xds does not read GatewayClasses; it serves the Gateways of `--gateway-class`).
 */
export const GATEWAY_CONTROLLER_NAME = 'kube-xds.io/gateway';

export function isOwnController(name: unknown): boolean {
  return name === MESH_CONTROLLER_NAME || name === GATEWAY_CONTROLLER_NAME;
}

export interface RouteCondition {
  readonly type: 'Accepted' | 'ResolvedRefs' | 'PartiallyInvalid';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number;
}

export interface RouteParentStatusModel {
  /** The parentRef as written in the spec. */
  readonly parentRef: Readonly<Record<string, unknown>>;
  readonly controllerName: string;
  readonly conditions: readonly RouteCondition[];
}

export interface RouteStatusModel {
  readonly kind: RouteKind;
  readonly namespace: string;
  readonly name: string;
  readonly generation: number;
  /**
   * One per mesh parentRef (kind Service) and per parentRef naming a Gateway of kube-xds's
   * class, in spec order; other parents are not kube-xds's.
   */
  readonly parents: readonly RouteParentStatusModel[];
}

export type BackendProblem = { readonly reason: 'InvalidKind' | 'BackendNotFound' | 'RefNotPermitted'; readonly message: string };

/**
 * A Gateway-attached Route may send to its own namespace only: another namespace needs a
 * ReferenceGrant, which kube-xds does not read yet (mesh parents need none, GEP-1294).
 */
export function crossNamespaceProblem(route: Pick<RouteRecord, 'namespace'>, backend: BackendRefRecord): BackendProblem | undefined {
  if (backend.namespace === route.namespace) return undefined;
  return { reason: 'RefNotPermitted', message: `backendRef ${backend.namespace}/${backend.name} is in another namespace than the Route: a Gateway's Route needs a ReferenceGrant for that, which kube-xds does not read yet` };
}

/** Every condition is True (or PartiallyInvalid is absent). */
export function healthy(status: RouteStatusModel): boolean {
  return status.parents.every((parent) => parent.conditions.every((condition) => condition.type !== 'PartiallyInvalid' && condition.status === 'True'));
}

/**
 * `outcomeOf(parent index)` is what the join of that parent's Service or Gateway decided;
 * undefined for a Service parent not joined yet, which reads as not found, and for a Gateway
 * that is not kube-xds's (no such Gateway, or another class), which gets no entry. `backendProblem` says why a
 * backendRef does not resolve, if it does not.
 */
export function routeStatus(
  route: RouteRecord,
  outcomeOf: (index: number) => ParentOutcome | undefined,
  backendProblem: (backend: BackendRefRecord) => BackendProblem | undefined,
): RouteStatusModel {
  const observedGeneration = route.generation;
  const condition = (type: RouteCondition['type'], ok: boolean, reason: string, message: string): RouteCondition => ({
    type,
    status: ok ? 'True' : 'False',
    reason,
    message,
    observedGeneration,
  });
  const resolved = resolvedRefs(route, backendProblem);
  const resolvedForGateway = resolvedRefs(route, (backend) => backendProblem(backend) ?? crossNamespaceProblem(route, backend));
  const dropped = route.rules.flatMap((rule) => rule.dropped ?? []);
  const parents = route.parents
    .filter((parent) => parent.mesh || (parent.gateway && outcomeOf(parent.index) !== undefined))
    .map((parent): RouteParentStatusModel => {
      const outcome = outcomeOf(parent.index) ?? { accepted: false, reason: 'NoMatchingParent', message: `Service ${parent.namespace}/${parent.name} does not exist` };
      const accepted = outcome.accepted
        ? condition('Accepted', true, 'Accepted', ['Accepted', ...outcome.notes].join('; '))
        : condition('Accepted', false, outcome.reason, outcome.message);
      const conditions = [accepted];
      const problem = parent.mesh ? resolved : resolvedForGateway;
      if (route.invalid === undefined) conditions.push(condition('ResolvedRefs', problem === undefined, problem?.reason ?? 'ResolvedRefs', problem?.message ?? 'every backendRef resolves'));
      // The spec's "Drop Rule(s)" approach: set only while the Route is accepted with some rules
      // left out, for every client or (unserved) for some client classes.
      const left = outcome.accepted ? [...dropped, ...outcome.unserved] : [];
      if (left.length > 0) conditions.push(condition('PartiallyInvalid', true, 'UnsupportedValue', `Dropped Rule(s): ${left.join('; ')}`));
      return { parentRef: parent.written, controllerName: parent.mesh ? MESH_CONTROLLER_NAME : GATEWAY_CONTROLLER_NAME, conditions };
    });
  return { kind: route.kind, namespace: route.namespace, name: route.name, generation: route.generation, parents };
}

/** The first unresolved backendRefs (InvalidKind before RefNotPermitted before BackendNotFound), or undefined when all resolve. */
function resolvedRefs(route: RouteRecord, backendProblem: (backend: BackendRefRecord) => BackendProblem | undefined): BackendProblem | undefined {
  const problems = route.rules.filter((rule) => rule.dropped === undefined).flatMap((rule) => rule.backends.flatMap((backend) => backendProblem(backend) ?? []));
  if (problems.length === 0) return undefined;
  const reason = (['InvalidKind', 'RefNotPermitted'] as const).find((first) => problems.some((problem) => problem.reason === first)) ?? 'BackendNotFound';
  const messages = [...new Set(problems.filter((problem) => problem.reason === reason).map((problem) => problem.message))];
  const shown = messages.slice(0, 5).join('; ');
  return { reason, message: messages.length > 5 ? `${shown}; and ${messages.length - 5} more` : shown };
}
