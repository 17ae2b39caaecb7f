// GRPCRoute and HTTPRoute objects -> RouteRecords, in two steps, as normalize.ts does for
// Services. What the Gateway API's schema forbids (wrong types, too many items, a malformed
// duration or header name) throws KXDS_BAD_OBJECT naming the field: the API server would
// refuse such an object. What the schema allows but kube-xds cannot honour (a filter, an
// unknown match type, a regex RE2 cannot run) drops that rule only, with the reason kept for
// the Route's status.
import { ObjectReader, type Fields } from '../fields.ts';
import { readRefOf } from '../normalize.ts';
import type { RetryModel } from '../route-model.ts';
import { readGrpcMatch } from './grpc-match.ts';
import { readHttpMatch } from './http-match.ts';
import { readDuration, readHostname, readInteger, readList, readText, UnsupportedRule } from './route-fields.ts';
import { routeKey, type BackendRefRecord, type MatchRecord, type ParentRefRecord, type RouteKind, type RouteRecord, type RuleRecord } from './route-record.ts';

/** The Route's identity and parents; throws KXDS_BAD_OBJECT when even these cannot be read. */
export type RouteHeader = Omit<RouteRecord, 'rules' | 'invalid'>;

export function readRouteRef(kind: RouteKind, object: unknown): { namespace: string; name: string } {
  return readRefOf(kind, object, 'DNS-1123 subdomain');
}

export function readRouteHeader(kind: RouteKind, object: unknown): RouteHeader {
  const { namespace, name } = readRouteRef(kind, object);
  const reader = new ObjectReader(kind, `${namespace}/${name}`);
  const metadata = (object as Fields).metadata as Fields;
  const generation = metadata.generation == null ? 0 : readInteger(reader, metadata.generation, 'metadata.generation', 0, Number.MAX_SAFE_INTEGER);
  const createdAt = reader.optionalString(metadata.creationTimestamp, 'metadata.creationTimestamp') ?? '';
  const spec = reader.optionalRecord((object as Fields).spec, 'spec') ?? {};
  const parents = readList(reader, spec.parentRefs, 'spec.parentRefs', 32).map((item, index) => readParentRef(reader, item, index, namespace));
  const hostnames = readList(reader, spec.hostnames, 'spec.hostnames', 16).map((item, index) => readHostname(reader, item, `spec.hostnames[${index}]`));
  return { kind, namespace, name, key: routeKey(kind, namespace, name), generation, createdAt, parents, hostnames: [...new Set(hostnames)] };
}

/** The whole Route; throws KXDS_BAD_OBJECT for what the schema forbids. */
export function readRoute(kind: RouteKind, object: unknown): RouteRecord {
  return { ...readRouteHeader(kind, object), rules: readRouteRules(kind, object) };
}

export function readRouteRules(kind: RouteKind, object: unknown): readonly RuleRecord[] {
  const { namespace, name } = readRouteRef(kind, object);
  const reader = new ObjectReader(kind, `${namespace}/${name}`);
  const spec = reader.optionalRecord((object as Fields).spec, 'spec') ?? {};
  const rules = readList(reader, spec.rules, 'spec.rules', 16);
  let matchCount = 0;
  const records = rules.map((item, index) => {
    const rule = readRule(kind, reader, item, index, namespace);
    matchCount += reader.list((item as Fields).matches, `spec.rules[${index}].matches`).length;
    return rule;
  });
  if (matchCount > 128) reader.fail('spec.rules', `must have at most 128 matches across all rules, got ${matchCount}`);
  return records;
}

function readParentRef(reader: ObjectReader, value: unknown, index: number, routeNamespace: string): ParentRefRecord {
  const field = `spec.parentRefs[${index}]`;
  const ref = reader.record(value, field);
  const group = reader.optionalString(ref.group, `${field}.group`) ?? 'gateway.networking.k8s.io';
  const kind = reader.optionalString(ref.kind, `${field}.kind`) ?? 'Gateway';
  const name = readText(reader, ref.name, `${field}.name`, 253);
  const namespace = ref.namespace == null ? routeNamespace : reader.name(ref.namespace, `${field}.namespace`, 'DNS-1123 label');
  const port = ref.port == null ? undefined : reader.port(ref.port, `${field}.port`);
  const sectionName = ref.sectionName == null ? undefined : reader.name(ref.sectionName, `${field}.sectionName`, 'DNS-1123 subdomain');
  const written = Object.fromEntries(['group', 'kind', 'namespace', 'name', 'sectionName', 'port'].filter((key) => ref[key] != null).map((key) => [key, ref[key]]));
  return {
    index,
    mesh: kind === 'Service' && (group === '' || group === 'core'),
    gateway: kind === 'Gateway' && group === 'gateway.networking.k8s.io',
    namespace,
    name,
    ...(port === undefined ? {} : { port }),
    ...(sectionName === undefined ? {} : { sectionName }),
    written,
  };
}

function readRule(kind: RouteKind, reader: ObjectReader, value: unknown, index: number, routeNamespace: string): RuleRecord {
  const field = `spec.rules[${index}]`;
  const rule = reader.record(value, field);
  const backendRefs = readList(reader, rule.backendRefs, `${field}.backendRefs`, 16);
  const backends = backendRefs.map((item, i) => readBackendRef(reader, item, `${field}.backendRefs[${i}]`, routeNamespace));
  const filters = readList(reader, rule.filters, `${field}.filters`, 16);
  const timing = kind === 'HTTPRoute' ? readTiming(reader, rule, field) : {};
  const base = { index, backends, ...timing };
  const items = readList(reader, rule.matches, `${field}.matches`, 64);
  const problems: string[] = [];
  const matches: MatchRecord[] = [];
  const read = kind === 'GRPCRoute' ? readGrpcMatch : readHttpMatch;
  items.forEach((item, i) => {
    try {
      matches.push(read(reader, item, `${field}.matches[${i}]`));
    } catch (error) {
      if (!(error instanceof UnsupportedRule)) throw error;
      problems.push(error.message);
    }
  });
  if (items.length === 0) matches.push(read(reader, {}, `${field}.matches[0]`));
  const filterTypes = filters.map((filter, i) => reader.optionalString(reader.record(filter, `${field}.filters[${i}]`).type, `${field}.filters[${i}].type`) ?? '(no type)');
  const backendFilters = backendRefs.flatMap((item, i) => readList(reader, (item as Fields).filters, `${field}.backendRefs[${i}].filters`, 16).length > 0 ? [i] : []);
  if (filterTypes.length > 0) problems.push(`filters are not supported yet (${filterTypes.join(', ')})`);
  if (backendFilters.length > 0) problems.push(`filters on backendRefs are not supported yet (backendRefs ${backendFilters.join(', ')})`);
  if (backends.length === 0) problems.push('it has no backendRefs (requests it matches would have to fail; not supported yet)');
  if (problems.length > 0) return { ...base, matches, dropped: `rule ${index}: ${problems.join('; ')}` };
  return { ...base, matches };
}

function readBackendRef(reader: ObjectReader, value: unknown, field: string, routeNamespace: string): BackendRefRecord {
  const ref = reader.record(value, field);
  const group = reader.optionalString(ref.group, `${field}.group`) ?? '';
  const kind = reader.optionalString(ref.kind, `${field}.kind`) ?? 'Service';
  const name = readText(reader, ref.name, `${field}.name`, 253);
  const namespace = ref.namespace == null ? routeNamespace : reader.name(ref.namespace, `${field}.namespace`, 'DNS-1123 label');
  const service = kind === 'Service' && (group === '' || group === 'core');
  // The schema requires a port for a Service; other kinds are not resolved, whatever their port.
  const port = service || ref.port != null ? reader.port(ref.port, `${field}.port`) : 0;
  const weight = ref.weight == null ? 1 : readInteger(reader, ref.weight, `${field}.weight`, 0, 1_000_000);
  const record = { namespace, name, port, weight };
  return service ? record : { ...record, invalidKind: `${group === '' ? 'core' : group}/${kind}` };
}

/** HTTPRoute only: timeouts.request and the experimental retry (GEP-1731). */
function readTiming(reader: ObjectReader, rule: Fields, field: string): { timeoutMs?: number; retry?: RetryModel } {
  const timeouts = reader.optionalRecord(rule.timeouts, `${field}.timeouts`);
  // "0s" disables the timeout.
  const timeoutMs = timeouts?.request == null ? undefined : readDuration(reader, timeouts.request, `${field}.timeouts.request`) || undefined;
  if (timeouts?.backendRequest != null) readDuration(reader, timeouts.backendRequest, `${field}.timeouts.backendRequest`);
  const retry = reader.optionalRecord(rule.retry, `${field}.retry`);
  let retryModel: RetryModel | undefined;
  if (retry !== undefined) {
    const codes = reader.list(retry.codes, `${field}.retry.codes`).map((code, i) => String(readInteger(reader, code, `${field}.retry.codes[${i}]`, 400, 599)));
    // Unset attempts are implementation-specific: one retry, Envoy's own default.
    const attempts = retry.attempts == null ? 1 : readInteger(reader, retry.attempts, `${field}.retry.attempts`, 1, 2 ** 31 - 1);
    const backoffMs = retry.backoff == null ? undefined : readDuration(reader, retry.backoff, `${field}.retry.backoff`);
    retryModel = { on: [...new Set(codes)].sort(), attempts, ...(backoffMs === undefined ? {} : { backoffMs }) };
  }
  return { ...(timeoutMs === undefined ? {} : { timeoutMs }), ...(retryModel === undefined ? {} : { retry: retryModel }) };
}

