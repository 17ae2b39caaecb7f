// Header and query parameter matches, shared by both Route kinds.
import { regexProblem } from '../../common/re2.ts';
import type { ObjectReader } from '../fields.ts';
import type { StringMatchType } from '../route-model.ts';
import { readHeaderName, readList, readText, UnsupportedRule } from './route-fields.ts';

export interface StringMatch {
  readonly name: string;
  readonly type: StringMatchType;
  readonly value: string;
}

const stringMatchTypes: readonly StringMatchType[] = ['Exact', 'RegularExpression'];

/**
 * Header matches with names lower-cased; query parameter matches as written. Of entries with
 * an equivalent name only the first counts (the spec: later ones MUST be ignored).
 */
export function readStringMatches(reader: ObjectReader, value: unknown, field: string, what: 'header' | 'query parameter'): StringMatch[] {
  const seen = new Set<string>();
  const matches: StringMatch[] = [];
  readList(reader, value, field, 16).forEach((item, index) => {
    const at = `${field}[${index}]`;
    const entry = reader.record(item, at);
    const written = readHeaderName(reader, entry.name, `${at}.name`);
    const name = what === 'header' ? written.toLowerCase() : written;
    const text = readText(reader, entry.value, `${at}.value`, what === 'header' ? 4096 : 1024);
    const type = readMatchType(reader, entry.type, `${at}.type`);
    if (seen.has(name)) return;
    seen.add(name);
    matches.push({ name, type, value: text });
  });
  return matches;
}

function readMatchType(reader: ObjectReader, value: unknown, field: string): StringMatchType {
  const type = reader.optionalString(value, field) ?? 'Exact';
  if (!stringMatchTypes.includes(type as StringMatchType)) throw new UnsupportedRule(`${field} ${JSON.stringify(type)} is not a supported match type (Exact, RegularExpression)`);
  if (type === 'RegularExpression') return 'RegularExpression';
  return 'Exact';
}

/** Throws UnsupportedRule when a RegularExpression value cannot be run by RE2. */
export function checkRegexes(matches: readonly StringMatch[], field: string): void {
  for (const match of matches) {
    const problem = match.type === 'RegularExpression' ? regexProblem(match.value) : undefined;
    if (problem !== undefined) throw new UnsupportedRule(`${field} ${JSON.stringify(match.name)}: ${JSON.stringify(match.value)} ${problem}`);
  }
}
