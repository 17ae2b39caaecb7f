// GRPCRoute and HTTPRoute objects -> route records: the mapping to route-model matches, the
// schema's defaults, what the schema forbids (a bad object naming the field), and what it
// allows but kube-xds does not support (that rule dropped, with why).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ErrorCode, KubeXdsError } from '../../common/errors.ts';
import { methodPath } from '../../k8s/routes/grpc-match.ts';
import { readRoute } from '../../k8s/routes/read-route.ts';
import { regexProblem } from '../../common/re2.ts';
import { backend, grpcRoute, httpRoute, serviceParent, type Json } from './fixtures.ts';

const grpcRule = (match: Json, extra: Json = {}): Json => ({ matches: [match], backendRefs: [backend('echo', 50051)], ...extra });
const httpRule = (match: Json, extra: Json = {}): Json => ({ matches: [match], backendRefs: [backend('web', 80)], ...extra });

function badField(object: Json, kind: 'GRPCRoute' | 'HTTPRoute', field: string, problem: RegExp): void {
  try {
    readRoute(kind, object);
  } catch (error) {
    assert.instance(error, KubeXdsError);
    assert.is((error as KubeXdsError).code, ErrorCode.BadObject);
    assert.is((error as KubeXdsError).context.field, field, (error as Error).message);
    assert.match((error as Error).message, problem);
    return;
  }
  assert.unreachable(`${field}: accepted`);
}

test('a GRPCRoute: parents defaulted to its namespace, method matches as paths, weights defaulted to 1', () => {
  const record = readRoute('GRPCRoute', grpcRoute('echo-split', {
    namespace: 'shop',
    createdAt: '2026-01-02T03:04:05Z',
    generation: 3,
    parentRefs: [serviceParent('echo', { port: 50051 }), { name: 'gw' }],
    rules: [grpcRule({ method: { service: 'echo.Echo', method: 'Say' }, headers: [{ name: 'X-Canary', value: 'yes' }] }, { backendRefs: [backend('echo-v1', 50051, { weight: 90 }), backend('echo-v2', 50051, { namespace: 'canary' })] })],
  }));
  assert.is(record.key, 'GRPCRoute/shop/echo-split');
  assert.is(record.generation, 3);
  assert.is(record.createdAt, '2026-01-02T03:04:05Z');
  assert.equal(record.parents.map(({ mesh, gateway, namespace, name, port }) => ({ mesh, gateway, namespace, name, port })), [
    { mesh: true, gateway: false, namespace: 'shop', name: 'echo', port: 50051 },
    { mesh: false, gateway: true, namespace: 'shop', name: 'gw', port: undefined },
  ]);
  assert.equal(record.parents[0]!.written, { group: '', kind: 'Service', name: 'echo', port: 50051 });
  const [rule] = record.rules;
  assert.equal(rule!.matches[0]!.match, {
    path: { type: 'Exact', value: '/echo.Echo/Say' },
    headers: [{ name: 'x-canary', type: 'Exact', value: 'yes' }],
    queryParams: [],
  });
  assert.equal(rule!.backends, [
    { namespace: 'shop', name: 'echo-v1', port: 50051, weight: 90 },
    { namespace: 'canary', name: 'echo-v2', port: 50051, weight: 1 },
  ]);
  assert.is(rule!.dropped, undefined);
  assert.is(rule!.timeoutMs, undefined, 'GRPCRoute v1 has no timeouts');
});

test('GRPCRoute method match -> path, as route-model.ts documents', () => {
  assert.equal(methodPath({ type: 'Exact', service: 'a.B', method: 'C' }), { type: 'Exact', value: '/a.B/C' });
  assert.equal(methodPath({ type: 'Exact', service: 'a.B', method: '' }), { type: 'PathPrefix', value: '/a.B/' });
  assert.equal(methodPath({ type: 'Exact', service: '', method: 'C' }), { type: 'RegularExpression', value: '/[^/]+/C' });
  assert.equal(methodPath({ type: 'RegularExpression', service: 'a\\..*', method: 'Get.*' }), { type: 'RegularExpression', value: '/a\\..*/Get.*' });
  assert.equal(methodPath({ type: 'RegularExpression', service: '', method: 'Get|List' }), { type: 'RegularExpression', value: '/.+/(?:Get|List)' });
  assert.equal(methodPath({ type: 'RegularExpression', service: 'a.B', method: '' }), { type: 'RegularExpression', value: '/a.B/.+' });
});

test('a rule without matches matches everything: GRPCRoute no path, HTTPRoute PathPrefix "/"', () => {
  const grpc = readRoute('GRPCRoute', grpcRoute('r', { rules: [{ backendRefs: [backend('echo', 1)] }] }));
  assert.equal(grpc.rules[0]!.matches.map((m) => m.match), [{ headers: [], queryParams: [] }]);
  const http = readRoute('HTTPRoute', httpRoute('r', { rules: [{ backendRefs: [backend('web', 80)] }] }));
  assert.equal(http.rules[0]!.matches.map((m) => m.match), [{ path: { type: 'PathPrefix', value: '/' }, headers: [], queryParams: [] }]);
});

test('an HTTPRoute: path, headers (lower-cased, first of a name wins), query params, method, timeout and retry', () => {
  const record = readRoute('HTTPRoute', httpRoute('web', {
    rules: [
      httpRule(
        {
          path: { type: 'Exact', value: '/api/v1' },
          headers: [{ name: 'X-Env', value: 'prod' }, { name: 'x-env', value: 'ignored' }, { name: 'x-id', type: 'RegularExpression', value: '[0-9]+' }],
          queryParams: [{ name: 'Debug', value: '1' }],
          method: 'POST',
        },
        { timeouts: { request: '1m30s' }, retry: { codes: [503, 502, 503], attempts: 3, backoff: '100ms' } },
      ),
    ],
  }));
  const [rule] = record.rules;
  assert.equal(rule!.matches[0]!.match, {
    path: { type: 'Exact', value: '/api/v1' },
    headers: [{ name: 'x-env', type: 'Exact', value: 'prod' }, { name: 'x-id', type: 'RegularExpression', value: '[0-9]+' }],
    queryParams: [{ name: 'Debug', type: 'Exact', value: '1' }],
    method: 'POST',
  });
  assert.is(rule!.timeoutMs, 90_000);
  assert.equal(rule!.retry, { on: ['502', '503'], attempts: 3, backoffMs: 100 });
});

test('durations: GEP-2257 forms; "0s" disables the timeout; retry without attempts retries once', () => {
  const timeout = (request: string) => readRoute('HTTPRoute', httpRoute('r', { rules: [httpRule({}, { timeouts: { request } })] })).rules[0]!.timeoutMs;
  assert.is(timeout('10s'), 10_000);
  assert.is(timeout('500ms'), 500);
  assert.is(timeout('1h'), 3_600_000);
  assert.is(timeout('1h2m3s4ms'), 3_723_004);
  assert.is(timeout('0s'), undefined);
  const retry = readRoute('HTTPRoute', httpRoute('r', { rules: [httpRule({}, { retry: {} })] })).rules[0]!.retry;
  assert.equal(retry, { on: [], attempts: 1 });
});

test('what the schema forbids is a bad object naming the field', () => {
  const rules = (rule: Json) => ({ rules: [rule] });
  badField(httpRoute('r', rules(httpRule({}, { timeouts: { request: '10' } }))), 'HTTPRoute', 'spec.rules[0].timeouts.request', /Gateway API duration/);
  badField(httpRoute('r', rules(httpRule({}, { timeouts: { request: '1h2m3s4ms5s' } }))), 'HTTPRoute', 'spec.rules[0].timeouts.request', /duration/);
  badField(httpRoute('r', rules(httpRule({}, { retry: { codes: [200] } }))), 'HTTPRoute', 'spec.rules[0].retry.codes[0]', /400\.\.599/);
  badField(httpRoute('r', rules(httpRule({}, { retry: { attempts: 0 } }))), 'HTTPRoute', 'spec.rules[0].retry.attempts', /integer 1\.\./);
  badField(httpRoute('r', rules(httpRule({ path: { type: 'PathPrefix', value: 'api' } }))), 'HTTPRoute', 'spec.rules[0].matches[0].path.value', /absolute path/);
  badField(httpRoute('r', rules(httpRule({ path: { type: 'Exact', value: '/a//b' } }))), 'HTTPRoute', 'spec.rules[0].matches[0].path.value', /"\/\/"/);
  badField(httpRoute('r', rules(httpRule({ headers: [{ name: 'bad name', value: 'x' }] }))), 'HTTPRoute', 'spec.rules[0].matches[0].headers[0].name', /header name/);
  badField(httpRoute('r', rules(httpRule({ headers: [{ name: 'x', value: '' }] }))), 'HTTPRoute', 'spec.rules[0].matches[0].headers[0].value', /1 to 4096/);
  badField(httpRoute('r', rules({ backendRefs: [backend('web', 80, { weight: 1_000_001 })] })), 'HTTPRoute', 'spec.rules[0].backendRefs[0].weight', /0\.\.1000000/);
  badField(httpRoute('r', rules({ backendRefs: [{ name: 'web' }] })), 'HTTPRoute', 'spec.rules[0].backendRefs[0].port', /port number/);
  badField(httpRoute('r', { rules: Array.from({ length: 17 }, () => httpRule({})) }), 'HTTPRoute', 'spec.rules', /at most 16 items/);
  badField(httpRoute('r', { rules: Array.from({ length: 3 }, () => ({ matches: Array.from({ length: 60 }, () => ({})), backendRefs: [backend('web', 80)] })) }), 'HTTPRoute', 'spec.rules', /128 matches/);
  badField(httpRoute('r', { parentRefs: [serviceParent('p', { port: 0 })] }), 'HTTPRoute', 'spec.parentRefs[0].port', /port number/);
  badField(httpRoute('r', { parentRefs: Array.from({ length: 33 }, (_, i) => serviceParent(`p${i}`)) }), 'HTTPRoute', 'spec.parentRefs', /at most 32/);
  badField(grpcRoute('r', rules(grpcRule({ method: { type: 'Exact' } }))), 'GRPCRoute', 'spec.rules[0].matches[0].method', /service, method or both/);
  badField(grpcRoute('r', rules(grpcRule({ method: { service: 'a/b' } }))), 'GRPCRoute', 'spec.rules[0].matches[0].method.service', /gRPC service name/);
  badField(grpcRoute('r', rules(grpcRule({ method: { method: 'Say.It' } }))), 'GRPCRoute', 'spec.rules[0].matches[0].method.method', /gRPC method name/);
  badField(grpcRoute('r', { rules: 'all' as unknown as Json[] }), 'GRPCRoute', 'spec.rules', /must be a list/);
  badField({ ...grpcRoute('r'), metadata: { name: 'Bad_Name', namespace: 'default' } }, 'GRPCRoute', 'metadata.name', /DNS-1123 subdomain/);
});

test('what kube-xds cannot honour drops that rule only, saying why', () => {
  const record = readRoute('HTTPRoute', httpRoute('r', {
    rules: [
      httpRule({ path: { type: 'PathPrefix', value: '/ok' } }),
      httpRule({}, { filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x', value: 'y' }] } }] }),
      httpRule({ path: { type: 'RegularExpression', value: '/(?!admin).*' } }),
      httpRule({ headers: [{ name: 'x', type: 'RegularExpression', value: '(a)\\1' }] }),
      httpRule({ headers: [{ name: 'x', type: 'Prefix', value: 'a' }] }),
      { matches: [{}] },
      httpRule({ path: { type: 'RegularExpression', value: '/(' } }),
      { matches: [{}], backendRefs: [backend('web', 80, { filters: [{ type: 'RequestMirror' }] })] },
    ],
  }));
  const dropped = record.rules.map((rule) => rule.dropped ?? 'applied');
  assert.is(dropped[0], 'applied');
  assert.match(dropped[1]!, /^rule 1: filters are not supported yet \(RequestHeaderModifier\)/);
  assert.match(dropped[2]!, /^rule 2: .*lookaround.*RE2/);
  assert.match(dropped[3]!, /^rule 3: .*backreference/);
  assert.match(dropped[4]!, /^rule 4: .*"Prefix" is not a supported match type/);
  assert.match(dropped[5]!, /^rule 5: it has no backendRefs/);
  assert.match(dropped[6]!, /^rule 6: .*not a valid regular expression/);
  assert.match(dropped[7]!, /^rule 7: filters on backendRefs are not supported yet/);
  const grpc = readRoute('GRPCRoute', grpcRoute('r', { rules: [grpcRule({ method: { type: 'RegularExpression', service: '(?<=a)b' } })] }));
  assert.match(grpc.rules[0]!.dropped!, /lookaround/);
});

test('a backendRef to another kind never resolves: InvalidKind', () => {
  const record = readRoute('HTTPRoute', httpRoute('r', { rules: [{ backendRefs: [{ group: 'multicluster.x-k8s.io', kind: 'ServiceImport', name: 'web', port: 80 }, backend('web', 80, { group: 'core' })] }] }));
  assert.equal(record.rules[0]!.backends.map((b) => b.invalidKind), ['multicluster.x-k8s.io/ServiceImport', undefined]);
});

test('regexProblem: RE2 syntax accepted, lookarounds and backreferences refused, escapes and classes respected', () => {
  assert.is(regexProblem('/api/v[0-9]+/.*'), undefined);
  assert.is(regexProblem('(?i)/Echo'), undefined, "RE2's leading flag group");
  assert.is(regexProblem('\\(?=literal'), undefined, 'an escaped parenthesis is no lookahead');
  assert.is(regexProblem('[\\1]'), undefined, 'in a class it is no backreference');
  assert.match(regexProblem('a(?=b)')!, /lookaround/);
  assert.match(regexProblem('(?<!a)b')!, /lookaround/);
  assert.match(regexProblem('(?<n>a)\\k<n>')!, /backreference/);
  assert.match(regexProblem('[')!, /not a valid regular expression/);
});

test.run();
