// One GRPCRoute match -> a route-model match. The method match becomes a path, as
// route-model.ts documents: gRPC calls are HTTP/2 requests to `/service/method`.
import { regexProblem } from '../../common/re2.ts';
import type { Fields, ObjectReader } from '../fields.ts';
import type { RouteMatchModel } from '../route-model.ts';
import { readText, UnsupportedRule } from './route-fields.ts';
import type { MatchRecord } from './route-record.ts';
import { checkRegexes, readStringMatches } from './string-matches.ts';

/** The schema's patterns for Exact matches. */
const exactService = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const exactMethod = /^[A-Za-z_][A-Za-z_0-9]*$/;

export function readGrpcMatch(reader: ObjectReader, value: unknown, field: string): MatchRecord {
  const entry = reader.record(value, field);
  const headers = readStringMatches(reader, entry.headers, `${field}.headers`, 'header');
  const method = reader.optionalRecord(entry.method, `${field}.method`);
  const grpcMethod = method === undefined ? undefined : readMethodMatch(reader, method, `${field}.method`);
  checkRegexes(headers, `${field}.headers`);
  const match: RouteMatchModel = {
    ...(grpcMethod === undefined ? {} : { path: methodPath(grpcMethod) }),
    headers,
    queryParams: [],
  };
  return grpcMethod === undefined ? { match } : { match, grpcMethod };
}

function readMethodMatch(reader: ObjectReader, method: Fields, field: string): NonNullable<MatchRecord['grpcMethod']> {
  const type = reader.optionalString(method.type, `${field}.type`) ?? 'Exact';
  // Empty and unset both mean "any".
  const service = method.service == null ? '' : readText(reader, method.service, `${field}.service`, 1024, 0);
  const name = method.method == null ? '' : readText(reader, method.method, `${field}.method`, 1024, 0);
  if (service === '' && name === '') reader.fail(field, 'must set service, method or both');
  if (type === 'Exact') {
    if (service !== '' && !exactService.test(service)) reader.fail(`${field}.service`, 'must be a gRPC service name (letters, digits, "_" and ".")', service);
    if (name !== '' && !exactMethod.test(name)) reader.fail(`${field}.method`, 'must be a gRPC method name (letters, digits and "_")', name);
    return { type, service, method: name };
  }
  if (type !== 'RegularExpression') throw new UnsupportedRule(`${field}.type ${JSON.stringify(type)} is not a supported match type (Exact, RegularExpression)`);
  for (const [part, pattern] of [['service', service], ['method', name]] as const) {
    const problem = pattern === '' ? undefined : regexProblem(pattern);
    if (problem !== undefined) throw new UnsupportedRule(`${field}.${part} ${JSON.stringify(pattern)} ${problem}`);
  }
  return { type, service, method: name };
}

/** route-model.ts's mapping of a method match to a path match. */
export function methodPath({ type, service, method }: NonNullable<MatchRecord['grpcMethod']>): NonNullable<RouteMatchModel['path']> {
  if (type === 'Exact') {
    if (service !== '' && method !== '') return { type: 'Exact', value: `/${service}/${method}` };
    if (service !== '') return { type: 'PathPrefix', value: `/${service}/` };
    return { type: 'RegularExpression', value: `/[^/]+/${method}` };
  }
  return { type: 'RegularExpression', value: `/${regexPart(service)}/${regexPart(method)}` };
}

/** A part left out matches anything; an alternation is grouped so it stays within its part. */
function regexPart(pattern: string): string {
  if (pattern === '') return '.+';
  return pattern.includes('|') ? `(?:${pattern})` : pattern;
}
