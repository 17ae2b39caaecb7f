// Kubernetes objects -> the plain model (docs/design.md §4). Two steps: `readService` and
// `readEndpointSlice` check one untrusted object and keep only what the model needs (they
// throw KXDS_BAD_OBJECT naming the field); `buildServiceModel` merges a Service with its
// slices and cannot fail.
import { byKey, compareText } from '../common/compare.ts';
import { ObjectReader, type Fields, type NameRule } from './fields.ts';
import { canonicalIp, memoizedIpOrder, type IpFamily } from './ip.ts';
import type { EndpointHealth, EndpointModel, ServiceModel, ServicePortModel } from './model.ts';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * Service annotations under this prefix are kept for traffic policy; all others (such as
 * kubectl's last-applied-configuration) are dropped, so they cost nothing and a change to
 * them changes no model.
 */
export const ANNOTATION_PREFIX = 'kube-xds.io/';

export interface ObjectRef {
  readonly namespace: string;
  readonly name: string;
}

export interface ServiceRecord extends ObjectRef {
  readonly labels: Readonly<Record<string, string>>;
  /** Only those under ANNOTATION_PREFIX. */
  readonly annotations: Readonly<Record<string, string>>;
  /** ExternalName Services are resolved by DNS and never have endpoints. */
  readonly externalName: boolean;
  readonly ipFamily: IpFamily;
  readonly publishNotReadyAddresses: boolean;
  readonly ports: readonly ServicePortRecord[];
}

interface ServicePortRecord {
  readonly name: string;
  readonly port: number;
  readonly protocol: ServicePortModel['protocol'];
  readonly appProtocol?: string;
}

export interface SliceRecord extends ObjectRef {
  /** From the `kubernetes.io/service-name` label; a slice without it belongs to no Service. */
  readonly serviceName?: string;
  readonly addressType: IpFamily | 'FQDN';
  /** Slice port name (= Service port name) -> the resolved target port. */
  readonly ports: readonly { readonly name: string; readonly port: number }[];
  readonly endpoints: readonly SliceEndpointRecord[];
}

/** Conditions with the API defaults applied. */
interface SliceEndpointRecord {
  readonly address: string;
  readonly zone: string;
  readonly pod?: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
}

const protocols = ['TCP', 'UDP', 'SCTP'] as const;
const ipFamilies = ['IPv4', 'IPv6'] as const;
const addressTypes = ['IPv4', 'IPv6', 'FQDN'] as const;

export type ObjectKind = 'Service' | 'EndpointSlice';

/**
 * Kubernetes' own rules for names, so the names kube-xds builds from them are sane: Service
 * names are DNS-1035 labels (they become DNS names), slice names DNS-1123 subdomains.
 */
const nameRules: Record<ObjectKind, NameRule> = { Service: 'DNS-1035 label', EndpointSlice: 'DNS-1123 subdomain' };

/** Namespace and name, the only fields a deletion needs. */
export function readRef(kind: ObjectKind, object: unknown): ObjectRef {
  return readRefOf(kind, object, nameRules[kind]);
}

/** The same for any namespaced kind whose names follow `nameRule` (Routes, Gateways). */
export function readRefOf(kind: string, object: unknown, nameRule: NameRule): ObjectRef {
  const outer = new ObjectReader(kind);
  const metadata = outer.record(outer.record(object, 'the object').metadata, 'metadata');
  // Errors name the object as written, even a malformed name, so that it can be found.
  const reader = new ObjectReader(kind, writtenRef(metadata));
  const name = reader.name(metadata.name, 'metadata.name', nameRule);
  return { namespace: reader.name(metadata.namespace, 'metadata.namespace', 'DNS-1123 label'), name };
}

/**
 * `namespace/name` as written, unchecked, for messages about an object that may be malformed;
 * a name twice as long as any valid one (253) is cut, so a megabyte name makes no megabyte log line.
 */
export function writtenRef(metadata: unknown): string {
  const fields = typeof metadata === 'object' && metadata !== null ? (metadata as Fields) : {};
  const shown = (value: unknown, missing: string) => {
    if (typeof value !== 'string' || value === '') return missing;
    return value.length > 506 ? `${value.slice(0, 503)}...` : value;
  };
  return `${shown(fields.namespace, '(no namespace)')}/${shown(fields.name, '(no name)')}`;
}

function readHeader(kind: ObjectKind, object: unknown) {
  const ref = readRef(kind, object);
  const reader = new ObjectReader(kind, `${ref.namespace}/${ref.name}`);
  const fields = object as Fields;
  const metadata = fields.metadata as Fields;
  return {
    ref,
    reader,
    fields,
    metadata,
    labels: reader.stringMap(metadata.labels, 'metadata.labels'),
  };
}

export function readService(object: unknown): ServiceRecord {
  const { ref, reader, fields, metadata, labels } = readHeader('Service', object);
  const annotations = reader.stringMap(metadata.annotations, 'metadata.annotations', (key) => key.startsWith(ANNOTATION_PREFIX));
  const spec = reader.record(fields.spec, 'spec');
  const declared = reader.list(spec.ipFamilies, 'spec.ipFamilies');
  return {
    ...ref,
    labels,
    annotations,
    externalName: reader.optionalString(spec.type, 'spec.type') === 'ExternalName',
    ipFamily: declared.length === 0 ? 'IPv4' : reader.oneOf(declared[0], ipFamilies, 'spec.ipFamilies[0]'),
    publishNotReadyAddresses: reader.optionalBoolean(spec.publishNotReadyAddresses, 'spec.publishNotReadyAddresses') ?? false,
    ports: readServicePorts(reader, spec.ports),
  };
}

/**
 * The API server's rules: a name (a DNS-1123 label) on every port unless there is only one,
 * names unique, and number+protocol unique (each becomes its own resources downstream).
 */
function readServicePorts(reader: ObjectReader, value: unknown): ServicePortRecord[] {
  const items = reader.list(value, 'spec.ports');
  const names = new Map<string, string>();
  const numbers = new Map<string, string>();
  return items.map((item, index) => {
    const field = `spec.ports[${index}]`;
    const port = reader.record(item, field);
    const name = reader.optionalString(port.name, `${field}.name`) ?? '';
    if (name !== '') reader.name(name, `${field}.name`, 'DNS-1123 label');
    else if (items.length > 1) reader.fail(`${field}.name`, 'must be set when a Service has more than one port');
    const sameName = names.get(name);
    if (sameName !== undefined) reader.fail(`${field}.name`, `repeats the name of ${sameName}`, name);
    names.set(name, field);

    const number = reader.port(port.port, `${field}.port`);
    const protocol = port.protocol == null ? 'TCP' : reader.oneOf(port.protocol, protocols, `${field}.protocol`);
    const sameNumber = numbers.get(`${number}/${protocol}`);
    if (sameNumber !== undefined) reader.fail(`${field}.port`, `repeats the port and protocol of ${sameNumber}`, `${number}/${protocol}`);
    numbers.set(`${number}/${protocol}`, field);

    const appProtocol = reader.optionalString(port.appProtocol, `${field}.appProtocol`);
    return { name, port: number, protocol, ...(appProtocol === undefined ? {} : { appProtocol }) };
  });
}

export function readEndpointSlice(object: unknown): SliceRecord {
  const { ref, reader, fields, labels } = readHeader('EndpointSlice', object);
  const addressType = reader.oneOf(fields.addressType, addressTypes, 'addressType');
  const serviceName = labels[SERVICE_NAME_LABEL];
  const owner = serviceName === undefined ? {} : { serviceName };
  // FQDN slices are never used, so their contents are not checked either.
  if (addressType === 'FQDN') return { ...ref, ...owner, addressType, ports: [], endpoints: [] };
  return {
    ...ref,
    ...owner,
    addressType,
    ports: readSlicePorts(reader, fields.ports),
    endpoints: reader.list(fields.endpoints, 'endpoints').map((item, index) => readEndpoint(reader, item, `endpoints[${index}]`, addressType)),
  };
}

function readSlicePorts(reader: ObjectReader, value: unknown): { name: string; port: number }[] {
  return reader.list(value, 'ports').flatMap((item, index) => {
    const field = `ports[${index}]`;
    const port = reader.record(item, field);
    // A port without a number is "all ports" in the API: nothing to route to here.
    if (port.port == null) return [];
    return [{ name: reader.optionalString(port.name, `${field}.name`) ?? '', port: reader.port(port.port, `${field}.port`) }];
  });
}

function readEndpoint(reader: ObjectReader, value: unknown, field: string, family: IpFamily): SliceEndpointRecord {
  const endpoint = reader.record(value, field);
  const addresses = reader.list(endpoint.addresses, `${field}.addresses`);
  if (addresses.length === 0) reader.fail(`${field}.addresses`, 'must not be empty');
  const first = addresses[0];
  const address = typeof first === 'string' ? canonicalIp(first, family) : undefined;
  if (address === undefined) reader.fail(`${field}.addresses[0]`, `must be an ${family} address`, first);

  const conditions = reader.optionalRecord(endpoint.conditions, `${field}.conditions`) ?? {};
  const ready = reader.optionalBoolean(conditions.ready, `${field}.conditions.ready`) ?? true;
  const serving = reader.optionalBoolean(conditions.serving, `${field}.conditions.serving`) ?? ready;
  const terminating = reader.optionalBoolean(conditions.terminating, `${field}.conditions.terminating`) ?? false;

  const targetRef = reader.optionalRecord(endpoint.targetRef, `${field}.targetRef`);
  const pod = targetRef?.kind === 'Pod' ? reader.optionalString(targetRef.name, `${field}.targetRef.name`) : undefined;
  return {
    address,
    zone: reader.optionalString(endpoint.zone, `${field}.zone`) ?? '',
    ...(pod === undefined ? {} : { pod }),
    ready,
    serving,
    terminating,
  };
}

/** Merges a Service with the slices that name it. Only slices of the Service's family count. */
export function buildServiceModel(service: ServiceRecord, slices: Iterable<SliceRecord>): ServiceModel {
  const usable = service.externalName
    ? []
    : [...slices].filter((slice) => slice.addressType === service.ipFamily).sort(byKey((slice) => slice.name));
  const slicePorts = slicePortsByName(usable);
  const addressOrder = memoizedIpOrder();
  const ports = service.ports
    .map((port) => freezePort(port, endpointsFor(slicePorts.get(port.name) ?? [], service.publishNotReadyAddresses, addressOrder)))
    .sort((a, b) => a.port - b.port || compareText(a.name, b.name));
  return Object.freeze({
    namespace: service.namespace,
    name: service.name,
    ports: Object.freeze(ports),
    ipFamily: service.ipFamily,
    annotations: Object.freeze(Object.fromEntries(Object.entries(service.annotations).sort(byKey(([key]) => key)))),
  });
}

function freezePort(port: ServicePortRecord, endpoints: readonly EndpointModel[]): ServicePortModel {
  return Object.freeze({
    name: port.name,
    port: port.port,
    protocol: port.protocol,
    ...(port.appProtocol === undefined ? {} : { appProtocol: port.appProtocol }),
    endpoints,
  });
}

/** A numbered slice port, with the slice it is in. */
interface SlicePort {
  readonly slice: SliceRecord;
  readonly port: number;
}

/**
 * The slices' ports by name, in slice order: each Service port looks up its own rather than
 * scanning every port of every slice (a Service with 10,000 ports and 100 slices of 100
 * would compare names 100 million times on each change).
 */
function slicePortsByName(slices: readonly SliceRecord[]): Map<string, SlicePort[]> {
  const byName = new Map<string, SlicePort[]>();
  for (const slice of slices) {
    for (const { name, port } of slice.ports) {
      let named = byName.get(name);
      if (named === undefined) byName.set(name, (named = []));
      named.push({ slice, port });
    }
  }
  return byName;
}

/**
 * The endpoints of one Service port across all slices (`slicePorts`: the slices' ports of
 * that name), unique by address+port. A pod can sit in two slices while it moves between
 * them; the healthier entry wins, then the first slice by name.
 */
function endpointsFor(slicePorts: readonly SlicePort[], allReady: boolean, addressOrder: (a: string, b: string) => number): readonly EndpointModel[] {
  const byAddress = new Map<string, EndpointModel>();
  for (const { slice, port } of slicePorts) {
    for (const endpoint of slice.endpoints) {
      const health = healthOf(endpoint, allReady);
      if (health === undefined) continue;
      const key = `${endpoint.address}|${port}`;
      const existing = byAddress.get(key);
      if (existing !== undefined && !(existing.health === 'DRAINING' && health === 'HEALTHY')) continue;
      byAddress.set(
        key,
        Object.freeze({
          address: endpoint.address,
          port,
          zone: endpoint.zone,
          health,
          ...(endpoint.pod === undefined ? {} : { pod: endpoint.pod }),
        }),
      );
    }
  }
  return Object.freeze([...byAddress.values()].sort((a, b) => addressOrder(a.address, b.address) || a.port - b.port));
}

function healthOf(endpoint: SliceEndpointRecord, allReady: boolean): EndpointHealth | undefined {
  if (allReady || endpoint.ready) return 'HEALTHY';
  if (endpoint.serving && endpoint.terminating) return 'DRAINING';
  return undefined;
}
