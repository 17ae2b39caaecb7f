// Which clients a route entry is not served to, and why, for the Route's status. The builders
// decide that (envoy-config/route-support.ts, unsupportedFor); the k8s stage must not import
// them, so it is given the function through the source options (bin/serve.ts wires it).
import type { RouteEntryModel } from './route-model.ts';

/**
 * Why each client class is not served `entry`, keyed by class (`proxyless`, `gateway`,
 * `sidecar`): an empty list for a class that is served it.
 */
export type WhyUnserved = (entry: RouteEntryModel) => Readonly<Record<string, readonly string[]>>;

const classNames: Readonly<Record<string, string>> = { proxyless: 'proxyless gRPC clients', gateway: 'Envoy gateways', sidecar: 'Envoy sidecars' };

export interface Unserved {
  /** `not served to proxyless gRPC clients: <reasons>`, one clause per distinct list of reasons. */
  readonly text: string;
  /** No class is served the entry. */
  readonly everyClass: boolean;
}

/** What `reasons` (one answer of a WhyUnserved) says; undefined when every class is served the entry. */
export function describeUnserved(reasons: Readonly<Record<string, readonly string[]>>): Unserved | undefined {
  const refused = Object.entries(reasons).filter(([, why]) => why.length > 0);
  if (refused.length === 0) return undefined;
  const everyClass = refused.length === Object.keys(reasons).length;
  const byReasons = new Map<string, string[]>();
  for (const [clientClass, why] of refused) {
    const text = why.join('; ');
    byReasons.set(text, [...(byReasons.get(text) ?? []), classNames[clientClass] ?? `${clientClass} clients`]);
  }
  const clauses = [...byReasons].map(([why, classes]) => {
    const who = everyClass && byReasons.size === 1 ? 'any client' : classes.join(' and ');
    return `not served to ${who}: ${why}`;
  });
  return { text: clauses.join('; '), everyClass };
}
