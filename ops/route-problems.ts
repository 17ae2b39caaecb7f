// `kube-xds status`'s lines about Routes: one per condition of a Route's status that is not
// True (and per PartiallyInvalid, which is True exactly when something is left out), from
// `/debug/routes`. Routes whose conditions are all True are not listed.
import type { RouteStatusModel } from '../k8s/routes/route-status.ts';
import type { Jsonified } from './status-table.ts';

/** One Route as `/debug/routes` sends it. */
export type RouteStatusView = Jsonified<RouteStatusModel>;

/** The lines (each ending in a newline) under a heading; nothing when every Route is wholly applied. */
export function routeProblemLines(routes: readonly RouteStatusView[]): string {
  const lines = routes.flatMap((route) =>
    route.parents.flatMap((parent) =>
      parent.conditions
        .filter((condition) => condition.status !== 'True' || condition.type === 'PartiallyInvalid')
        .map((condition) => `${route.kind} ${route.namespace}/${route.name} on ${parentName(route, parent.parentRef)}: ${condition.type} ${condition.status} (${condition.reason}): ${condition.message}`),
    ),
  );
  if (lines.length === 0) return '';
  const affected = routes.filter((route) => route.parents.some((parent) => parent.conditions.some((c) => c.status !== 'True' || c.type === 'PartiallyInvalid'))).length;
  return [`Routes not wholly applied (${affected} of ${routes.length}):`, ...lines.map((line) => `  ${line}`)].map((line) => `${line}\n`).join('');
}

/** `Service demo/echo:50051`, from the parentRef as written (its namespace defaults to the Route's). */
function parentName(route: RouteStatusView, parentRef: RouteStatusView['parents'][number]['parentRef']): string {
  const namespace = typeof parentRef.namespace === 'string' ? parentRef.namespace : route.namespace;
  const port = parentRef.port === undefined ? (typeof parentRef.sectionName === 'string' ? ` port ${parentRef.sectionName}` : '') : `:${String(parentRef.port)}`;
  return `Service ${namespace}/${String(parentRef.name)}${port}`;
}
