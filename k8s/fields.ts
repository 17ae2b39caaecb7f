// Typed reads of untrusted Kubernetes objects. They accept both shapes an object arrives
// in (client-node class instances from lists, raw JSON from watches and files: the
// property names are the same) and fail with a coded error naming the object and field.
import { badObject, type KubeXdsError } from '../common/errors.ts';

export type Fields = Readonly<Record<string, unknown>>;

const label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

/** The name formats Kubernetes validates (k8s.io/apimachinery/pkg/util/validation). */
const nameRules = {
  'DNS-1123 label': {
    pattern: new RegExp(`^${label}$`),
    max: 63,
    looks: 'lowercase letters, digits and "-", starting and ending with a letter or digit',
  },
  'DNS-1035 label': {
    pattern: /^[a-z]([-a-z0-9]*[a-z0-9])?$/,
    max: 63,
    looks: 'lowercase letters, digits and "-", starting with a letter and ending with a letter or digit',
  },
  'DNS-1123 subdomain': {
    pattern: new RegExp(`^${label}(\\.${label})*$`),
    max: 253,
    looks: 'DNS-1123 labels joined by "."',
  },
} as const;

export type NameRule = keyof typeof nameRules;

/** Which object is being read, for error messages: e.g. "Service default/web". */
export class ObjectReader {
  readonly kind: string;
  readonly ref: string;

  constructor(kind: string, ref = '(unnamed)') {
    this.kind = kind;
    this.ref = ref;
  }

  fail(field: string, problem: string, value?: unknown): never {
    throw this.error(field, problem, value);
  }

  /** The KXDS_BAD_OBJECT fail() throws, for callers that collect problems instead. */
  error(field: string, problem: string, value?: unknown): KubeXdsError {
    const got = value === undefined ? '' : `, got ${preview(value)}`;
    return badObject(`${this.kind} ${this.ref}: ${field} ${problem}${got}`, { kind: this.kind, object: this.ref, field });
  }

  record(value: unknown, field: string): Fields {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Fields;
    return this.fail(field, 'must be an object', value);
  }

  optionalRecord(value: unknown, field: string): Fields | undefined {
    return value == null ? undefined : this.record(value, field);
  }

  /** A missing list (undefined or null, as the API sends for empty ones) is empty. */
  list(value: unknown, field: string): readonly unknown[] {
    if (value == null) return [];
    if (Array.isArray(value)) return value;
    return this.fail(field, 'must be a list', value);
  }

  /** A name in the given format, e.g. `metadata.name`. */
  name(value: unknown, field: string, rule: NameRule): string {
    if (typeof value !== 'string' || value === '') return this.fail(field, 'must be a non-empty string', value);
    const { pattern, max, looks } = nameRules[rule];
    if (value.length <= max && pattern.test(value)) return value;
    return this.fail(field, `must be a ${rule} (at most ${max} characters: ${looks})`, value);
  }

  optionalString(value: unknown, field: string): string | undefined {
    if (value == null) return undefined;
    if (typeof value === 'string') return value;
    return this.fail(field, 'must be a string', value);
  }

  optionalBoolean(value: unknown, field: string): boolean | undefined {
    if (value == null) return undefined;
    if (typeof value === 'boolean') return value;
    return this.fail(field, 'must be true or false', value);
  }

  port(value: unknown, field: string): number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535) return value;
    return this.fail(field, 'must be a port number 1..65535', value);
  }

  oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
    if (allowed.includes(value as T)) return value as T;
    return this.fail(field, `must be one of ${allowed.join(', ')}`, value);
  }

  /** Labels and annotations: string values only. With `keep`, other keys are dropped unchecked. */
  stringMap(value: unknown, field: string, keep: (key: string) => boolean = () => true): Readonly<Record<string, string>> {
    const entries = Object.entries(this.optionalRecord(value, field) ?? {}).filter(([key]) => keep(key));
    for (const [key, text] of entries) {
      if (typeof text !== 'string') this.fail(`${field}[${preview(key)}]`, 'must be a string', text);
    }
    return Object.fromEntries(entries) as Record<string, string>;
  }
}

const previewLength = 60;

/**
 * A value shortened for an error message, as JSON. Only its first characters are written:
 * a value of any size or depth (a list nested 100,000 deep, 100,000 ports where a name
 * belongs) costs no more than a small one, and cannot overflow the stack.
 */
export function preview(value: unknown): string {
  const text = clipped(value, previewLength + 1);
  return text.length > previewLength ? `${text.slice(0, previewLength - 3)}...` : text;
}

/**
 * JSON.stringify(value), or once that would pass `budget` characters, a prefix of it longer
 * than `budget`. Each level of nesting takes at least one character, so the depth it goes
 * to is bounded by the budget too.
 */
function clipped(value: unknown, budget: number): string {
  if (typeof value === 'string') {
    if (value.length <= budget) return JSON.stringify(value);
    return JSON.stringify(value.slice(0, Math.max(0, budget + 1))).slice(0, -1);
  }
  if (typeof value === 'bigint') return String(value);
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? String(value);
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return clipped((value as { toJSON(): unknown }).toJSON(), budget);
  const omitted = (item: unknown) => item === undefined || typeof item === 'function' || typeof item === 'symbol';
  const list = Array.isArray(value);
  let text = list ? '[' : '{';
  const add = (label: string, item: unknown): boolean => {
    if (text.length > budget) return false;
    const lead = `${text.length > 1 ? ',' : ''}${label}`;
    text += lead + (omitted(item) ? 'null' : clipped(item, budget - text.length - lead.length));
    return true;
  };
  if (list) {
    for (let i = 0; i < value.length; i++) if (!add('', value[i])) break;
  } else {
    for (const key in value) {
      const item = (value as Record<string, unknown>)[key];
      if (Object.hasOwn(value, key) && !omitted(item) && !add(`${JSON.stringify(key)}:`, item)) break;
    }
  }
  return text.length > budget ? text : `${text}${list ? ']' : '}'}`;
}
