// Hostname intersection between a Gateway listener and a Route (the Gateway API's
// `Listener.hostname` and `HTTPRoute.spec.hostnames` rules): a wildcard `*.example.com`
// stands for one label or more in front of `.example.com`, never for `example.com` itself.

/** Whether the wildcard `pattern` covers `hostname` (an exact name or a narrower wildcard). */
export function covers(pattern: string, hostname: string): boolean {
  if (pattern === '*') return true;
  return pattern.startsWith('*.') && hostname !== pattern && hostname.endsWith(pattern.slice(1));
}

/**
 * The hostnames a Route attached to a listener serves: `*` when neither says; else the
 * narrower of each pair that overlaps. Empty: the Route has no hostname the listener accepts.
 */
export function intersectHostnames(listener: string | undefined, route: readonly string[]): string[] {
  if (route.length === 0) return [listener ?? '*'];
  if (listener === undefined) return [...route];
  const served = route.flatMap((hostname) => {
    if (hostname === listener || covers(listener, hostname)) return [hostname];
    return covers(hostname, listener) ? [listener] : [];
  });
  return [...new Set(served)];
}

/** Exact names first, then wildcards (the longer first), then `*`: the more specific first. */
export function compareSpecificity(a: string, b: string): number {
  const rank = (hostname: string) => (hostname === '*' ? 2 : hostname.startsWith('*.') ? 1 : 0);
  return rank(a) - rank(b) || b.length - a.length || (a < b ? -1 : a > b ? 1 : 0);
}
