// Gateway objects (gateway.networking.k8s.io/v1) -> GatewayRecords. What the schema forbids
// throws KXDS_BAD_OBJECT naming the field, as for Routes; what it allows and kube-xds does
// not serve (a protocol other than HTTP, a namespace selector) is kept for the status to say.
import { ObjectReader, type Fields } from '../fields.ts';
import { gatewayKey } from '../gateway-model.ts';
import { readRefOf } from '../normalize.ts';
import { readHostname, readInteger, readList, readText } from '../routes/route-fields.ts';
import { routeKinds, type RouteKind } from '../routes/route-record.ts';
import type { AllowedNamespaces, GatewayRecord, ListenerRecord } from './gateway-record.ts';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export function readGatewayRef(object: unknown): { namespace: string; name: string } {
  return readRefOf('Gateway', object, 'DNS-1123 subdomain');
}

/** The Gateway's class alone: a Gateway of another class is not read further. */
export function readGatewayClassName(object: unknown): string {
  const { namespace, name } = readGatewayRef(object);
  const reader = new ObjectReader('Gateway', `${namespace}/${name}`);
  const spec = reader.record((object as Fields).spec, 'spec');
  return readText(reader, spec.gatewayClassName, 'spec.gatewayClassName', 253);
}

export function readGateway(object: unknown): GatewayRecord {
  const { namespace, name } = readGatewayRef(object);
  const reader = new ObjectReader('Gateway', `${namespace}/${name}`);
  const metadata = (object as Fields).metadata as Fields;
  const generation = metadata.generation == null ? 0 : readInteger(reader, metadata.generation, 'metadata.generation', 0, Number.MAX_SAFE_INTEGER);
  const spec = reader.record((object as Fields).spec, 'spec');
  const gatewayClassName = readText(reader, spec.gatewayClassName, 'spec.gatewayClassName', 253);
  const items = readList(reader, spec.listeners, 'spec.listeners', 64);
  if (items.length === 0) reader.fail('spec.listeners', 'must have at least one listener');
  const listeners = items.map((item, index) => readListener(reader, item, index));
  const names = new Set<string>();
  for (const listener of listeners) {
    if (names.has(listener.name)) reader.fail(`spec.listeners[${listener.index}].name`, 'must be unique within the Gateway', listener.name);
    names.add(listener.name);
  }
  return { namespace, name, key: gatewayKey(namespace, name), gatewayClassName, generation, listeners };
}

function readListener(reader: ObjectReader, value: unknown, index: number): ListenerRecord {
  const field = `spec.listeners[${index}]`;
  const listener = reader.record(value, field);
  const name = reader.name(listener.name, `${field}.name`, 'DNS-1123 subdomain');
  const port = reader.port(listener.port, `${field}.port`);
  const protocol = readText(reader, listener.protocol, `${field}.protocol`, 255);
  const hostname = listener.hostname == null ? undefined : readHostname(reader, listener.hostname, `${field}.hostname`);
  const allowed = reader.optionalRecord(listener.allowedRoutes, `${field}.allowedRoutes`) ?? {};
  const from = reader.optionalString(reader.optionalRecord(allowed.namespaces, `${field}.allowedRoutes.namespaces`)?.from, `${field}.allowedRoutes.namespaces.from`) ?? 'Same';
  if (from !== 'Same' && from !== 'All' && from !== 'Selector') reader.fail(`${field}.allowedRoutes.namespaces.from`, 'must be All, Same or Selector', from);
  const { kinds, invalidKinds } = readAllowedKinds(reader, allowed.kinds, `${field}.allowedRoutes.kinds`);
  return { index, name, port, protocol, ...(hostname === undefined ? {} : { hostname }), namespaces: from as AllowedNamespaces, kinds, invalidKinds };
}

function readAllowedKinds(reader: ObjectReader, value: unknown, field: string): { kinds: readonly RouteKind[]; invalidKinds: readonly string[] } {
  const items = readList(reader, value, field, 8);
  if (items.length === 0) return { kinds: routeKinds, invalidKinds: [] };
  const kinds: RouteKind[] = [];
  const invalidKinds: string[] = [];
  items.forEach((item, i) => {
    const ref = reader.record(item, `${field}[${i}]`);
    const group = reader.optionalString(ref.group, `${field}[${i}].group`) ?? GATEWAY_GROUP;
    const kind = readText(reader, ref.kind, `${field}[${i}].kind`, 63);
    const known = routeKinds.find((candidate) => candidate === kind);
    if (group === GATEWAY_GROUP && known !== undefined) kinds.push(known);
    else invalidKinds.push(`${group}/${kind}`);
  });
  return { kinds: [...new Set(kinds)], invalidKinds };
}
