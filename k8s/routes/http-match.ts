// One HTTPRoute match -> a route-model match. A match without a path matches every path (the
// schema's default: PathPrefix "/"), as the API server would have written it.
import { regexProblem } from '../../common/re2.ts';
import type { ObjectReader } from '../fields.ts';
import type { RouteMatchModel } from '../route-model.ts';
import { readText, UnsupportedRule } from './route-fields.ts';
import type { MatchRecord } from './route-record.ts';
import { checkRegexes, readStringMatches } from './string-matches.ts';

const pathTypes = ['Exact', 'PathPrefix', 'RegularExpression'] as const;
const methods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

/** The schema's rules for Exact and PathPrefix values (HTTPPathMatch's validations). */
const pathCharacters = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|%[0-9a-fA-F]{2})+$/;
const forbiddenInPaths = ['//', '/./', '/../', '%2f', '%2F', '#'];

export function readHttpMatch(reader: ObjectReader, value: unknown, field: string): MatchRecord {
  const entry = reader.record(value, field);
  const path = readPath(reader, entry.path, `${field}.path`);
  const headers = readStringMatches(reader, entry.headers, `${field}.headers`, 'header');
  const queryParams = readStringMatches(reader, entry.queryParams, `${field}.queryParams`, 'query parameter');
  const method = reader.optionalString(entry.method, `${field}.method`);
  if (method !== undefined && !methods.includes(method)) throw new UnsupportedRule(`${field}.method ${JSON.stringify(method)} is not a supported method (${methods.join(', ')})`);
  checkRegexes(headers, `${field}.headers`);
  checkRegexes(queryParams, `${field}.queryParams`);
  const match: RouteMatchModel = { path, headers, queryParams, ...(method === undefined ? {} : { method }) };
  return { match };
}

function readPath(reader: ObjectReader, value: unknown, field: string): NonNullable<RouteMatchModel['path']> {
  const path = reader.optionalRecord(value, field) ?? {};
  const type = reader.optionalString(path.type, `${field}.type`) ?? 'PathPrefix';
  const text = path.value == null ? '/' : readText(reader, path.value, `${field}.value`, 1024);
  if (!pathTypes.includes(type as (typeof pathTypes)[number])) throw new UnsupportedRule(`${field}.type ${JSON.stringify(type)} is not a supported path match type (${pathTypes.join(', ')})`);
  if (type === 'RegularExpression') {
    const problem = regexProblem(text);
    if (problem !== undefined) throw new UnsupportedRule(`${field}.value ${JSON.stringify(text)} ${problem}`);
    return { type, value: text };
  }
  if (!text.startsWith('/')) reader.fail(`${field}.value`, 'must be an absolute path (start with "/")', text);
  const bad = forbiddenInPaths.find((part) => text.includes(part)) ?? (text.endsWith('/..') ? '/..' : text.endsWith('/.') ? '/.' : undefined);
  if (bad !== undefined) reader.fail(`${field}.value`, `must not contain ${JSON.stringify(bad)}`, text);
  if (!pathCharacters.test(text)) reader.fail(`${field}.value`, 'must only contain the characters of a URL path (or %XX escapes)', text);
  return { type: type as 'Exact' | 'PathPrefix', value: text };
}
