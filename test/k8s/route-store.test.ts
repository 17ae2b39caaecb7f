// Routes joined in the store: entries on the right Services and ports, in precedence order,
// backends resolved, change keys incremental, and each Route's status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RouteEntryModel } from '../../k8s/route-model.ts';
import type { RouteStatusModel } from '../../k8s/routes/route-status.ts';
import { ModelStore } from '../../k8s/store.ts';
import { captureLog, type CapturedLog } from '../support/capture-log.ts';
import { backend, grpcRoute, httpRoute, service, serviceParent, type Json } from './fixtures.ts';

const keys = (set: ReadonlySet<string>) => [...set].sort();
const twoPorts = [{ name: 'grpc', port: 50051 }, { name: 'http', port: 8080 }];

/** A store with the log captured; `changed` records each onRouteStatus call. */
function harness(): { store: ModelStore; log: CapturedLog; statusChanges: string[]; done(): void } {
  const log = captureLog();
  const statusChanges: string[] = [];
  const store = new ModelStore({ onRouteStatus: (key) => statusChanges.push(key) });
  return { store, log, statusChanges, done: () => log.restore() };
}

function entries(store: ModelStore, key: string): readonly RouteEntryModel[] | undefined {
  return store.services().get(key)?.routes;
}

/** Each entry as `Kind/name rule.match port -> backends`, for order checks. */
function summary(store: ModelStore, key: string): string[] {
  return (entries(store, key) ?? []).map((entry) => {
    const port = entry.port === undefined ? '*' : String(entry.port);
    const backends = entry.backends.map((b) => `${b.name}:${b.port}${b.resolved ? '' : '!'}`).join(',');
    return `${entry.origin.kind}/${entry.origin.name} ${entry.origin.rule}.${entry.origin.match} ${port} -> ${backends}`;
  });
}

function conditions(status: RouteStatusModel | undefined, parent = 0): Record<string, string> {
  return Object.fromEntries((status?.parents[parent]?.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}`]));
}

test('a canary split: entries on the parent Service, backends resolved once their Services exist', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('echo'));
    const route = grpcRoute('split', { parentRefs: [serviceParent('echo')], rules: [{ backendRefs: [backend('echo-v1', 50051, { weight: 9 }), backend('echo-v2', 50051)] }] });
    assert.equal(keys(store.applyRoute('GRPCRoute', route)), ['default/echo']);
    assert.equal(summary(store, 'default/echo'), ['GRPCRoute/split 0.0 * -> echo-v1:50051!,echo-v2:50051!']);
    assert.equal(entries(store, 'default/echo')![0], {
      origin: { kind: 'GRPCRoute', namespace: 'default', name: 'split', rule: 0, match: 0 },
      match: { headers: [], queryParams: [] },
      backends: [
        { namespace: 'default', name: 'echo-v1', port: 50051, weight: 9, resolved: false },
        { namespace: 'default', name: 'echo-v2', port: 50051, weight: 1, resolved: false },
      ],
    });
    assert.equal(conditions(store.routeStatuses().get('GRPCRoute/default/split')), { Accepted: 'True Accepted', ResolvedRefs: 'False BackendNotFound' });
    assert.match(store.routeStatuses().get('GRPCRoute/default/split')!.parents[0]!.conditions[1]!.message, /Service default\/echo-v1 does not exist/);

    // A backend appearing changes only the parents that name it: not itself (it has no routes).
    assert.equal(keys(store.applyService(service('echo-v1'))), ['default/echo', 'default/echo-v1']);
    assert.equal(summary(store, 'default/echo'), ['GRPCRoute/split 0.0 * -> echo-v1:50051,echo-v2:50051!']);
    assert.equal(keys(store.applyService(service('unrelated'))), ['default/unrelated']);
    // A backend without the port named is not resolved either.
    assert.equal(keys(store.applyService(service('echo-v2', { ports: [{ name: 'grpc', port: 9000 }] }))), ['default/echo-v2']);
    assert.match(store.routeStatuses().get('GRPCRoute/default/split')!.parents[0]!.conditions[1]!.message, /Service default\/echo-v2 has no port 50051/);
    assert.equal(keys(store.applyService(service('echo-v2'))), ['default/echo', 'default/echo-v2']);
    assert.equal(conditions(store.routeStatuses().get('GRPCRoute/default/split')), { Accepted: 'True Accepted', ResolvedRefs: 'True ResolvedRefs' });
    // ... and disappearing flips it back.
    assert.equal(keys(store.deleteService(service('echo-v1'))), ['default/echo', 'default/echo-v1']);
    assert.equal(summary(store, 'default/echo'), ['GRPCRoute/split 0.0 * -> echo-v1:50051!,echo-v2:50051']);
    // Deleting the Route changes its parent back to no routes at all.
    assert.equal(keys(store.deleteRoute('GRPCRoute', route)), ['default/echo']);
    assert.is('routes' in store.services().get('default/echo')!, false, 'no routes field without Routes');
    assert.is(store.routeStatuses().size, 0);
  } finally {
    h.done();
  }
});

test('a Route moving to another parent changes both, old and new; parentRef port and sectionName pick the port', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('a', { ports: twoPorts }));
    store.applyService(service('b', { ports: twoPorts }));
    const rules = [{ backendRefs: [backend('a', 8080)] }];
    store.applyRoute('HTTPRoute', httpRoute('r', { parentRefs: [serviceParent('a', { port: 8080 })], rules }));
    assert.equal(summary(store, 'default/a'), ['HTTPRoute/r 0.0 8080 -> a:8080']);
    assert.equal(keys(store.applyRoute('HTTPRoute', httpRoute('r', { parentRefs: [serviceParent('b', { sectionName: 'grpc' })], rules }))), ['default/a', 'default/b']);
    assert.is(entries(store, 'default/a'), undefined);
    assert.equal(summary(store, 'default/b'), ['HTTPRoute/r 0.0 50051 -> a:8080']);
    // A port the Service does not have: NoMatchingParent, and no entries.
    assert.equal(keys(store.applyRoute('HTTPRoute', httpRoute('r', { parentRefs: [serviceParent('b', { port: 9 })], rules }))), ['default/b']);
    assert.equal(conditions(store.routeStatuses().get('HTTPRoute/default/r')), { Accepted: 'False NoMatchingParent', ResolvedRefs: 'True ResolvedRefs' });
    store.applyRoute('HTTPRoute', httpRoute('r', { parentRefs: [serviceParent('b', { port: 8080, sectionName: 'grpc' })], rules }));
    assert.match(store.routeStatuses().get('HTTPRoute/default/r')!.parents[0]!.conditions[0]!.message, /port named grpc is 50051, not 8080/);
  } finally {
    h.done();
  }
});

test('a parent Service that does not exist: NoMatchingParent until it appears', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('web', { ports: [{ name: 'http', port: 80 }] }));
    assert.equal(keys(store.applyRoute('HTTPRoute', httpRoute('r', { parentRefs: [serviceParent('later')], rules: [{ backendRefs: [backend('web', 80)] }] }))), []);
    const status = store.routeStatuses().get('HTTPRoute/default/r');
    assert.equal(conditions(status), { Accepted: 'False NoMatchingParent', ResolvedRefs: 'True ResolvedRefs' });
    assert.equal(status!.parents[0]!.parentRef, { group: '', kind: 'Service', name: 'later' });
    assert.is(status!.parents[0]!.controllerName, 'kube-xds.io/mesh');
    assert.equal(keys(store.applyService(service('later', { ports: [{ name: 'http', port: 80 }] }))), ['default/later']);
    assert.equal(summary(store, 'default/later'), ['HTTPRoute/r 0.0 * -> web:80']);
    assert.equal(conditions(store.routeStatuses().get('HTTPRoute/default/r')), { Accepted: 'True Accepted', ResolvedRefs: 'True ResolvedRefs' });
    const warnings = h.log.lines.filter((line) => line.level === 'warn' && String(line.msg).includes('not wholly applied'));
    assert.is(warnings.length, 1, 'warned once, while it was not accepted');
  } finally {
    h.done();
  }
});

test('HTTPRoute precedence across Routes: exact, regex, longest prefix, method, headers, query params, then age, name, rule and match order', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('parent', { ports: [{ name: 'http', port: 80 }] }));
    const to = [backend('parent', 80)];
    store.applyRoute('HTTPRoute', httpRoute('young', {
      createdAt: '2026-02-01T00:00:00Z',
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/a' } }, { path: { type: 'PathPrefix', value: '/a' }, method: 'GET' }], backendRefs: to },
        { matches: [{ path: { type: 'PathPrefix', value: '/a' }, headers: [{ name: 'x', value: '1' }] }, { path: { type: 'Exact', value: '/a' } }], backendRefs: to },
      ],
    }));
    store.applyRoute('HTTPRoute', httpRoute('old', {
      createdAt: '2026-01-01T00:00:00Z',
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/a' }, queryParams: [{ name: 'q', value: '1' }] }, { path: { type: 'PathPrefix', value: '/a/b' } }], backendRefs: to },
        { matches: [{ path: { type: 'RegularExpression', value: '/a/.*' } }, { path: { type: 'PathPrefix', value: '/a' }, method: 'PUT' }], backendRefs: to },
        { matches: [{ path: { type: 'PathPrefix', value: '/b' } }], backendRefs: to },
      ],
    }));
    assert.equal(summary(store, 'default/parent').map((line) => line.split(' -> ')[0]), [
      'HTTPRoute/young 1.1 *', // Exact
      'HTTPRoute/old 1.0 *', // RegularExpression
      'HTTPRoute/old 0.1 *', // the longest prefix
      'HTTPRoute/old 1.1 *', // a method (the older Route first)
      'HTTPRoute/young 0.1 *', // a method
      'HTTPRoute/young 1.0 *', // a header
      'HTTPRoute/old 0.0 *', // a query parameter
      'HTTPRoute/old 2.0 *', // "/b": as long as "/a", in the older Route
      'HTTPRoute/young 0.0 *',
    ]);
  } finally {
    h.done();
  }
});

test('GRPCRoute precedence: exact before regex, then the longer service, the longer method, more headers', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('parent'));
    const to = [backend('parent', 50051)];
    const rule = (method?: Json, headers: Json[] = []) => ({ matches: [{ ...(method ? { method } : {}), headers }], backendRefs: to });
    store.applyRoute('GRPCRoute', grpcRoute('g', {
      rules: [
        rule(),
        rule({ type: 'RegularExpression', service: 'very.long.service.Name' }),
        rule({ service: 'a.B' }),
        rule({ service: 'a.B', method: 'M' }),
        rule({ service: 'a.Bc' }),
        rule({ service: 'a.B' }, [{ name: 'x', value: '1' }]),
        rule({ method: 'M' }),
      ],
    }));
    assert.equal(summary(store, 'default/parent').map((line) => line.split(' ')[1]), ['4.0', '3.0', '5.0', '2.0', '6.0', '1.0', '0.0']);
  } finally {
    h.done();
  }
});

test('two Routes claiming the same match: the older wins; the other is Conflicted when it loses everything', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('parent', { ports: [{ name: 'http', port: 80 }] }));
    store.applyService(service('v1', { ports: [{ name: 'http', port: 80 }] }));
    store.applyService(service('v2', { ports: [{ name: 'http', port: 80 }] }));
    const match = { path: { type: 'PathPrefix', value: '/api' } };
    store.applyRoute('HTTPRoute', httpRoute('first', { createdAt: '2026-01-01T00:00:00Z', rules: [{ matches: [match], backendRefs: [backend('v1', 80)] }] }));
    store.applyRoute('HTTPRoute', httpRoute('second', {
      createdAt: '2026-01-02T00:00:00Z',
      rules: [{ matches: [match], backendRefs: [backend('v2', 80)] }],
    }));
    assert.equal(summary(store, 'default/parent'), ['HTTPRoute/first 0.0 * -> v1:80']);
    const second = store.routeStatuses().get('HTTPRoute/default/second');
    assert.equal(conditions(second), { Accepted: 'False Conflicted', ResolvedRefs: 'True ResolvedRefs' });
    assert.match(second!.parents[0]!.conditions[0]!.message, /rule 0 match 0 is the same as rule 0 match 0 of HTTPRoute default\/first/);
    // With a match of its own it is accepted, and its status still names the shadowed one.
    store.applyRoute('HTTPRoute', httpRoute('second', {
      createdAt: '2026-01-02T00:00:00Z',
      rules: [{ matches: [match, { path: { type: 'PathPrefix', value: '/v2' } }], backendRefs: [backend('v2', 80)] }],
    }));
    assert.equal(summary(store, 'default/parent'), ['HTTPRoute/first 0.0 * -> v1:80', 'HTTPRoute/second 0.1 * -> v2:80']);
    const accepted = store.routeStatuses().get('HTTPRoute/default/second')!.parents[0]!.conditions[0]!;
    assert.is(accepted.status, 'True');
    assert.match(accepted.message, /^Accepted; rule 0 match 0 is the same as/);
    // The first one going away gives the match to the second: both statuses are recomputed.
    h.statusChanges.length = 0;
    store.deleteRoute('HTTPRoute', httpRoute('first'));
    assert.equal(summary(store, 'default/parent'), ['HTTPRoute/second 0.0 * -> v2:80', 'HTTPRoute/second 0.1 * -> v2:80']);
    assert.equal(h.statusChanges.sort(), ['HTTPRoute/default/first', 'HTTPRoute/default/second']);
  } finally {
    h.done();
  }
});

test('GRPCRoute and HTTPRoute on one Service port: the GRPCRoute applies there (GEP-1294), the HTTPRoute keeps the other ports', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('parent', { ports: twoPorts }));
    store.applyRoute('GRPCRoute', grpcRoute('g', { parentRefs: [serviceParent('parent', { port: 50051 })], rules: [{ backendRefs: [backend('parent', 50051)] }] }));
    store.applyRoute('HTTPRoute', httpRoute('h', { rules: [{ backendRefs: [backend('parent', 8080)] }] }));
    assert.equal(summary(store, 'default/parent'), ['GRPCRoute/g 0.0 50051 -> parent:50051', 'HTTPRoute/h 0.0 8080 -> parent:8080']);
    assert.equal(conditions(store.routeStatuses().get('HTTPRoute/default/h')), { Accepted: 'True Accepted', ResolvedRefs: 'True ResolvedRefs' });
    store.applyRoute('HTTPRoute', httpRoute('h', { parentRefs: [serviceParent('parent', { port: 50051 })], rules: [{ backendRefs: [backend('parent', 8080)] }] }));
    assert.equal(summary(store, 'default/parent'), ['GRPCRoute/g 0.0 50051 -> parent:50051']);
    const status = store.routeStatuses().get('HTTPRoute/default/h');
    assert.equal(conditions(status), { Accepted: 'False Conflicted', ResolvedRefs: 'True ResolvedRefs' });
    assert.match(status!.parents[0]!.conditions[0]!.message, /GRPCRoute default\/g on port 50051/);
  } finally {
    h.done();
  }
});

test('dropped rules: PartiallyInvalid while others apply, not Accepted when none can', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('parent', { ports: [{ name: 'http', port: 80 }] }));
    const ok = { matches: [{ path: { type: 'PathPrefix', value: '/ok' } }], backendRefs: [backend('parent', 80)] };
    const mirror = { matches: [{}], filters: [{ type: 'RequestMirror' }], backendRefs: [backend('parent', 80)] };
    store.applyRoute('HTTPRoute', httpRoute('r', { generation: 4, rules: [ok, mirror] }));
    assert.equal(summary(store, 'default/parent'), ['HTTPRoute/r 0.0 * -> parent:80']);
    const status = store.routeStatuses().get('HTTPRoute/default/r')!;
    assert.equal(conditions(status), { Accepted: 'True Accepted', ResolvedRefs: 'True ResolvedRefs', PartiallyInvalid: 'True UnsupportedValue' });
    assert.match(status.parents[0]!.conditions[2]!.message, /^Dropped Rule\(s\): rule 1: filters are not supported yet \(RequestMirror\)/);
    assert.ok(status.parents[0]!.conditions.every((condition) => condition.observedGeneration === 4));
    store.applyRoute('HTTPRoute', httpRoute('r', { generation: 5, rules: [mirror] }));
    assert.is(entries(store, 'default/parent'), undefined);
    assert.equal(conditions(store.routeStatuses().get('HTTPRoute/default/r')), { Accepted: 'False UnsupportedValue', ResolvedRefs: 'True ResolvedRefs' });
    const warnings = h.log.lines.filter((line) => line.level === 'warn' && String(line.msg).includes('not wholly applied'));
    assert.equal(warnings.map((line) => line.generation), [4, 5], 'once per Route version');
  } finally {
    h.done();
  }
});

test('consumer routes (parent in another namespace) are refused; backends in other namespaces are fine (the mesh needs no ReferenceGrant)', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('echo', { namespace: 'shop' }));
    store.applyService(service('echo-v2', { namespace: 'canary' }));
    store.applyRoute('GRPCRoute', grpcRoute('consumer', { namespace: 'client', parentRefs: [serviceParent('echo', { namespace: 'shop' })], rules: [{ backendRefs: [backend('echo', 50051, { namespace: 'shop' })] }] }));
    assert.is(entries(store, 'shop/echo'), undefined);
    const consumer = store.routeStatuses().get('GRPCRoute/client/consumer')!;
    assert.equal(conditions(consumer), { Accepted: 'False UnsupportedValue', ResolvedRefs: 'True ResolvedRefs' });
    assert.match(consumer.parents[0]!.conditions[0]!.message, /consumer route/);
    store.applyRoute('GRPCRoute', grpcRoute('producer', { namespace: 'shop', parentRefs: [serviceParent('echo')], rules: [{ backendRefs: [backend('echo-v2', 50051, { namespace: 'canary' })] }] }));
    assert.equal(summary(store, 'shop/echo'), ['GRPCRoute/producer 0.0 * -> echo-v2:50051']);
    assert.equal(entries(store, 'shop/echo')![0]!.backends[0]!.namespace, 'canary');
  } finally {
    h.done();
  }
});

test('a backendRef to another kind: InvalidKind, its share unresolved', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('parent'));
    store.applyRoute('GRPCRoute', grpcRoute('r', { rules: [{ backendRefs: [backend('parent', 50051), { group: 'x.io', kind: 'Thing', name: 't', port: 1 }] }] }));
    assert.equal(summary(store, 'default/parent'), ['GRPCRoute/r 0.0 * -> parent:50051,t:1!']);
    assert.equal(conditions(store.routeStatuses().get('GRPCRoute/default/r')), { Accepted: 'True Accepted', ResolvedRefs: 'False InvalidKind' });
  } finally {
    h.done();
  }
});

test('Routes with only Gateway parents are not this stage\'s: no entries, no status', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('parent'));
    assert.equal(keys(store.applyRoute('GRPCRoute', grpcRoute('r', { parentRefs: [{ name: 'gw' }], rules: [{ backendRefs: [backend('parent', 50051)] }] }))), []);
    assert.is(store.routeStatuses().size, 0);
  } finally {
    h.done();
  }
});

test('a malformed Route: counted and skipped, its last good version stays; with none, its status says why; other Services undisturbed', () => {
  const h = harness();
  try {
    const { store } = h;
    store.applyService(service('parent', { ports: [{ name: 'http', port: 80 }] }));
    store.applyService(service('other', { ports: [{ name: 'http', port: 80 }] }));
    const good = httpRoute('r', { rules: [{ backendRefs: [backend('parent', 80)] }] });
    store.applyRoute('HTTPRoute', httpRoute('o', { parentRefs: [serviceParent('other')], rules: [{ backendRefs: [backend('other', 80)] }] }));
    store.applyRoute('HTTPRoute', good);
    const bad = httpRoute('r', { rules: [{ backendRefs: [backend('parent', 80)], timeouts: { request: 'soon' } }] });
    assert.equal(keys(store.applyRoute('HTTPRoute', bad)), []);
    assert.is(store.badObjects, 1);
    assert.is(store.rejectedObjects, 1);
    assert.equal(summary(store, 'default/parent'), ['HTTPRoute/r 0.0 * -> parent:80']);
    assert.equal(conditions(store.routeStatuses().get('HTTPRoute/default/r')), { Accepted: 'True Accepted', ResolvedRefs: 'True ResolvedRefs' });
    store.deleteRoute('HTTPRoute', good);
    assert.is(store.rejectedObjects, 0);
    store.applyRoute('HTTPRoute', bad);
    const status = store.routeStatuses().get('HTTPRoute/default/r')!;
    assert.equal(conditions(status), { Accepted: 'False UnsupportedValue' });
    assert.match(status.parents[0]!.conditions[0]!.message, /timeouts\.request must be a Gateway API duration/);
    assert.equal(summary(store, 'default/other'), ['HTTPRoute/o 0.0 * -> other:80']);
    // Not even an object: counted, nothing else.
    assert.equal(keys(store.applyRoute('GRPCRoute', 'nonsense')), []);
    assert.is(store.badObjects, 3);
  } finally {
    h.done();
  }
});

test('deferred rebuilds cover Routes: statuses appear once the first list is complete', () => {
  const h = harness();
  try {
    const { store } = h;
    store.deferRebuilds();
    store.applyRoute('GRPCRoute', grpcRoute('r', { rules: [{ backendRefs: [backend('parent', 50051)] }] }));
    store.applyService(service('parent'));
    assert.is(store.routeStatuses().size, 0);
    assert.equal(keys(store.rebuildDeferred()), ['default/parent']);
    assert.equal(summary(store, 'default/parent'), ['GRPCRoute/r 0.0 * -> parent:50051']);
    assert.equal(conditions(store.routeStatuses().get('GRPCRoute/default/r')), { Accepted: 'True Accepted', ResolvedRefs: 'True ResolvedRefs' });
  } finally {
    h.done();
  }
});

test('equal inputs give equal models, whatever the order Routes arrive in', () => {
  const build = (order: 'forward' | 'backward') => {
    const store = new ModelStore();
    store.applyService(service('parent', { ports: [{ name: 'http', port: 80 }] }));
    const routes = ['c', 'a', 'b'].map((name) => httpRoute(name, { rules: [{ matches: [{ path: { type: 'PathPrefix', value: `/${name}` } }, {}], backendRefs: [backend('parent', 80)] }] }));
    for (const route of order === 'forward' ? routes : routes.reverse()) store.applyRoute('HTTPRoute', route);
    return store.services().get('default/parent');
  };
  const log = captureLog();
  try {
    assert.equal(build('forward'), build('backward'));
  } finally {
    log.restore();
  }
});

test.run();
