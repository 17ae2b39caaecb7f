// What a client class cannot be served is refused for that class with a reason in the Route's
// status: PartiallyInvalid (the spec's "Dropped Rule(s)" approach) naming the class, Accepted
// staying True while some class is served something; Accepted=False when no class is served
// anything. A fake WhyUnserved here, and envoy-config's through bin/serve.ts's wiring.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseFlags } from '../../bin/flags.ts';
import { createSource, serveConfig, serveFlags } from '../../bin/serve.ts';
import { describeUnserved, type WhyUnserved } from '../../k8s/client-support.ts';
import type { RouteStatusModel } from '../../k8s/routes/route-status.ts';
import { ModelStore } from '../../k8s/store.ts';
import { captureLog } from '../support/capture-log.ts';
import { backend, httpRoute, service, serviceParent, type Json } from './fixtures.ts';
import { yaml } from './folder-harness.ts';

/** Proxyless clients are not served query parameters, Envoy not an `x-no-envoy` header match, nobody DELETE. */
const fakeWhyUnserved: WhyUnserved = (entry) => {
  const proxyless = entry.match.queryParams.length > 0 ? ['no query strings here'] : [];
  const envoy = entry.match.headers.some((header) => header.name === 'x-no-envoy') ? ['Envoy is not told about x-no-envoy'] : [];
  const everyone = entry.match.method === 'DELETE' ? ['nobody deletes'] : [];
  return { proxyless: [...everyone, ...proxyless], gateway: [...everyone, ...envoy], sidecar: [...everyone, ...envoy] };
};

const web = service('web', { ports: [{ name: 'http', port: 8080 }] });
const toWeb = [backend('web', 8080)];
const queryRule = { matches: [{ queryParams: [{ name: 'v', value: '2' }] }], backendRefs: toWeb };
const plainRule = { matches: [{ path: { type: 'PathPrefix', value: '/plain' } }], backendRefs: toWeb };
const deleteRule = { matches: [{ method: 'DELETE' }], backendRefs: toWeb };

function conditions(status: RouteStatusModel | undefined): Record<string, string> {
  return Object.fromEntries((status?.parents[0]?.conditions ?? []).map((c) => [c.type, `${c.status} ${c.reason}: ${c.message}`]));
}

function storeWith(...rules: Json[]): { store: ModelStore; status: () => RouteStatusModel | undefined } {
  const store = new ModelStore({ whyUnserved: fakeWhyUnserved });
  store.applyService(web);
  store.applyRoute('HTTPRoute', httpRoute('r', { parentRefs: [serviceParent('web')], rules }));
  return { store, status: () => store.routeStatuses().get('HTTPRoute/default/r') };
}

function quietly(body: () => void): void {
  const log = captureLog();
  try {
    body();
  } finally {
    log.restore();
  }
}

test('describeUnserved: one clause per distinct list of reasons, classes named; "any client" when all share one', () => {
  assert.is(describeUnserved({ proxyless: [], gateway: [], sidecar: [] }), undefined);
  assert.equal(describeUnserved({ proxyless: ['a', 'b'], gateway: [], sidecar: [] }), { text: 'not served to proxyless gRPC clients: a; b', everyClass: false });
  assert.equal(describeUnserved({ proxyless: [], gateway: ['e'], sidecar: ['e'] }), { text: 'not served to Envoy gateways and Envoy sidecars: e', everyClass: false });
  assert.equal(describeUnserved({ proxyless: ['x'], gateway: ['x'], sidecar: ['x'] }), { text: 'not served to any client: x', everyClass: true });
  assert.equal(describeUnserved({ proxyless: ['x', 'q'], gateway: ['x'], sidecar: ['x'] }), { text: 'not served to proxyless gRPC clients: x; q; not served to Envoy gateways and Envoy sidecars: x', everyClass: true });
});

test('a rule one class cannot be served: Accepted stays True, PartiallyInvalid names the class and why; the entry stays for the others', () => {
  quietly(() => {
    const { store, status } = storeWith(queryRule, plainRule);
    assert.equal(conditions(status()), {
      Accepted: 'True Accepted: Accepted',
      ResolvedRefs: 'True ResolvedRefs: every backendRef resolves',
      PartiallyInvalid: 'True UnsupportedValue: Dropped Rule(s): rule 0 is not served to proxyless gRPC clients: no query strings here',
    });
    assert.equal(store.services().get('default/web')?.routes?.map((entry) => entry.origin.rule).sort(), [0, 1], 'both entries are in the model: the builders leave rule 0 out for proxyless clients only');
    assert.equal(store.routeStatuses().size, 1);
  });
});

test('the status follows the Route: served to everyone again, PartiallyInvalid goes; a dropped rule and an unserved match share the message', () => {
  quietly(() => {
    const changes: string[] = [];
    const store = new ModelStore({ whyUnserved: fakeWhyUnserved, onRouteStatus: (key) => changes.push(key) });
    store.applyService(web);
    const apply = (...rules: Json[]) => store.applyRoute('HTTPRoute', httpRoute('r', { parentRefs: [serviceParent('web')], rules }));
    const status = () => store.routeStatuses().get('HTTPRoute/default/r');
    apply({ matches: [{ path: { type: 'PathPrefix', value: '/a' } }, { headers: [{ name: 'x-no-envoy', value: '1' }] }], backendRefs: toWeb });
    assert.is(conditions(status()).PartiallyInvalid, 'True UnsupportedValue: Dropped Rule(s): rule 0 match 1 is not served to Envoy gateways and Envoy sidecars: Envoy is not told about x-no-envoy');
    apply(plainRule);
    assert.is(conditions(status()).PartiallyInvalid, undefined);
    assert.is(changes.length, 2, 'each status change reported');
    apply({ ...plainRule, filters: [{ type: 'RequestMirror' }] }, queryRule);
    assert.match(conditions(status()).PartiallyInvalid!, /^True UnsupportedValue: Dropped Rule\(s\): rule 0: .*filter.*; rule 1 is not served to proxyless gRPC clients: no query strings here$/);
  });
});

test('no rule served to any client: Accepted=False, UnsupportedValue; one class served one rule keeps it Accepted', () => {
  quietly(() => {
    const { status } = storeWith(deleteRule);
    assert.equal(conditions(status()), {
      Accepted: 'False UnsupportedValue: no rule can be served to any client: rule 0 is not served to any client: nobody deletes',
      ResolvedRefs: 'True ResolvedRefs: every backendRef resolves',
    });
    const partly = storeWith(deleteRule, queryRule);
    assert.is(conditions(partly.status()).Accepted, 'True Accepted: Accepted');
    assert.match(conditions(partly.status()).PartiallyInvalid!, /rule 0 is not served to any client: nobody deletes; rule 1 is not served to proxyless gRPC clients/);
  });
});

test('without a WhyUnserved every class counts as served (the store alone cannot know)', () => {
  quietly(() => {
    const store = new ModelStore();
    store.applyService(web);
    store.applyRoute('HTTPRoute', httpRoute('r', { parentRefs: [serviceParent('web')], rules: [deleteRule, queryRule] }));
    assert.equal(Object.keys(conditions(store.routeStatuses().get('HTTPRoute/default/r'))), ['Accepted', 'ResolvedRefs']);
  });
});

test("through bin/serve.ts's wiring: envoy-config's reasons reach the status of a Route read from files", async () => {
  const log = captureLog();
  const dir = await mkdtemp(join(tmpdir(), 'kube-xds-client-support-'));
  const source = createSource(serveConfig(parseFlags(serveFlags, ['--source', `file:${dir}`], {})));
  try {
    await writeFile(join(dir, 'web.yaml'), yaml(web, httpRoute('r', { parentRefs: [serviceParent('web')], rules: [queryRule, plainRule] })));
    await source.start();
    const status = source.routeStatuses?.().get('HTTPRoute/default/r');
    const partly = conditions(status).PartiallyInvalid;
    assert.match(partly ?? '', /^True UnsupportedValue: Dropped Rule\(s\): rule 0 is not served to proxyless gRPC clients: gRPC requests carry no query string/);
    assert.is(conditions(status).Accepted, 'True Accepted: Accepted');
    assert.equal(source.status().routes, { total: 1, withProblems: 1 });
    const warning = log.lines.find((line) => line.level === 'warn' && line.route === 'HTTPRoute/default/r');
    assert.match(JSON.stringify(warning?.problems), /not served to proxyless gRPC clients/, 'logged');
  } finally {
    await source.stop();
    await rm(dir, { recursive: true, force: true });
    log.restore();
  }
});

test.run();
