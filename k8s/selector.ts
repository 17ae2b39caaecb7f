// Kubernetes label selectors in their string form (`--selector`), e.g.
// `app=web,tier!=db,env in (prod,staging),!legacy,team,replicas>2`. Parsed once at the
// entry point; the kube source also sends the canonical text to the API server.
import { configError } from '../common/errors.ts';

export interface LabelSelector {
  /** Canonical text ('' selects everything), as the API server's `labelSelector` accepts it. */
  readonly text: string;
  matches(labels: Readonly<Record<string, string>>): boolean;
}

type Requirement =
  | { readonly key: string; readonly op: 'in' | 'notin'; readonly values: readonly string[] }
  | { readonly key: string; readonly op: 'exists' | '!' }
  | { readonly key: string; readonly op: '>' | '<'; readonly bound: number };

const name = '[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?';
const dnsLabel = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const key = `(?:${dnsLabel}(?:\\.${dnsLabel})*/)?${name}`;
const value = `(?:${name})?`;
const equality = new RegExp(`^(${key})\\s*(==|=|!=)\\s*(${value})$`);
const set = new RegExp(`^(${key})\\s+(in|notin)\\s*\\((.*)\\)$`);
const compare = new RegExp(`^(${key})\\s*([<>])\\s*(-?\\d+)$`);
const exists = new RegExp(`^(!?)\\s*(${key})$`);
const valuePattern = new RegExp(`^${value}$`);

export function parseSelector(text: string): LabelSelector {
  const requirements = splitTopLevel(text).map((part) => parseRequirement(part, text));
  return {
    text: requirements.map(format).join(','),
    matches: (labels) => requirements.every((requirement) => matches(requirement, labels)),
  };
}

/** Splits at commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  if (text.trim() === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '(') depth++;
    if (char === ')' && --depth < 0) throw invalid(text, `unexpected ')' at position ${i}`);
    if (char === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) throw invalid(text, "missing ')'");
  parts.push(text.slice(start));
  return parts.map((part) => part.trim());
}

function parseRequirement(part: string, text: string): Requirement {
  let match = equality.exec(part);
  if (match) {
    const [, k = '', op, v = ''] = match;
    checkLength(k, v, text);
    return { key: k, op: op === '!=' ? 'notin' : 'in', values: [v] };
  }
  match = set.exec(part);
  if (match) {
    const [, k = '', op, list = ''] = match;
    if (list.trim() === '') throw invalid(text, `${JSON.stringify(part)} has an empty set of values`);
    const values = list.split(',').map((v) => v.trim());
    for (const v of values) {
      if (!valuePattern.test(v)) throw invalid(text, `${JSON.stringify(v)} is not a label value`);
      checkLength(k, v, text);
    }
    return { key: k, op: op === 'in' ? 'in' : 'notin', values: [...new Set(values)].sort() };
  }
  match = compare.exec(part);
  if (match) {
    const [, k = '', op, bound = ''] = match;
    checkLength(k, '', text);
    return { key: k, op: op === '>' ? '>' : '<', bound: Number(bound) };
  }
  match = exists.exec(part);
  if (match) {
    const [, not, k = ''] = match;
    checkLength(k, '', text);
    return { key: k, op: not ? '!' : 'exists' };
  }
  throw invalid(text, `cannot read ${JSON.stringify(part)}`);
}

function checkLength(k: string, v: string, text: string): void {
  const slash = k.lastIndexOf('/');
  if (slash > 253 || k.length - slash - 1 > 63) throw invalid(text, `label key ${JSON.stringify(k)} is too long`);
  if (v.length > 63) throw invalid(text, `label value ${JSON.stringify(v)} is longer than 63 characters`);
}

function matches(requirement: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  const label = labels[requirement.key];
  switch (requirement.op) {
    case 'exists':
      return present;
    case '!':
      return !present;
    case 'in':
      return label !== undefined && requirement.values.includes(label);
    case 'notin':
      return label === undefined || !requirement.values.includes(label);
    case '>':
    case '<': {
      if (label === undefined || !/^-?\d+$/.test(label)) return false;
      return requirement.op === '>' ? Number(label) > requirement.bound : Number(label) < requirement.bound;
    }
  }
}

function format(requirement: Requirement): string {
  switch (requirement.op) {
    case 'exists':
      return requirement.key;
    case '!':
      return `!${requirement.key}`;
    case 'in':
    case 'notin': {
      const [only] = requirement.values;
      if (requirement.values.length === 1) return `${requirement.key}${requirement.op === 'in' ? '=' : '!='}${only}`;
      return `${requirement.key} ${requirement.op} (${requirement.values.join(',')})`;
    }
    case '>':
    case '<':
      return `${requirement.key}${requirement.op}${requirement.bound}`;
  }
}

function invalid(text: string, problem: string) {
  return configError(`bad label selector ${JSON.stringify(text)}: ${problem}`, { selector: text });
}
