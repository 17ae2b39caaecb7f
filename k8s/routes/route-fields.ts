// Field checks the Gateway API's schema makes (apis/v1/*_types.go) that ObjectReader does not
// know: durations, header names, bounded strings and lists, and regular expressions Envoy
// and gRPC (both RE2) can run.
import type { ObjectReader } from '../fields.ts';

/** Thrown by a match reader for what the schema allows and kube-xds does not support: the rule is dropped. */
export class UnsupportedRule extends Error {}

/** GEP-2257 durations: up to four number+unit parts, e.g. "1h30m", "500ms", "0s". */
const durationPattern = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const durationUnitsMs: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000, ms: 1 };

/** A Gateway API duration in milliseconds. */
export function readDuration(reader: ObjectReader, value: unknown, field: string): number {
  if (typeof value !== 'string' || !durationPattern.test(value)) {
    return reader.fail(field, 'must be a Gateway API duration such as "10s", "500ms" or "1h30m" (GEP-2257)', value);
  }
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/([0-9]+)(h|ms|m|s)/g)) total += Number(amount) * durationUnitsMs[unit!]!;
  return total;
}

/** HeaderName: the token characters of RFC 7230, 1 to 256 of them. Also query parameter names. */
const headerNamePattern = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;

export function readHeaderName(reader: ObjectReader, value: unknown, field: string): string {
  if (typeof value === 'string' && value.length <= 256 && headerNamePattern.test(value)) return value;
  return reader.fail(field, 'must be a header name (1 to 256 token characters of RFC 7230)', value);
}

/** The Gateway API's Hostname: a DNS name, optionally with a leading `*.` label. */
const hostnamePattern = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function readHostname(reader: ObjectReader, value: unknown, field: string): string {
  if (typeof value === 'string' && value.length <= 253 && hostnamePattern.test(value)) return value;
  return reader.fail(field, 'must be a hostname (lowercase DNS labels joined by ".", optionally starting with "*.")', value);
}

export function readText(reader: ObjectReader, value: unknown, field: string, maxLength: number, minLength = 1): string {
  if (typeof value === 'string' && value.length >= minLength && value.length <= maxLength) return value;
  return reader.fail(field, `must be a string of ${minLength} to ${maxLength} characters`, value);
}

/** A list of at most `max` items (a missing list is empty). */
export function readList(reader: ObjectReader, value: unknown, field: string, max: number): readonly unknown[] {
  const items = reader.list(value, field);
  if (items.length > max) reader.fail(field, `must have at most ${max} items, got ${items.length}`);
  return items;
}

export function readInteger(reader: ObjectReader, value: unknown, field: string, min: number, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  return reader.fail(field, `must be an integer ${min}..${max}`, value);
}
