// Valid Services and EndpointSlices of unusual but legal shapes (names at their length
// limits, numeric port names, every protocol, 1,000 ports, legacy IP forms, every
// combination of conditions), each with the model the store must build from it, worked out
// here independently of k8s/normalize.ts.
import type { EndpointHealth } from '../../k8s/model.ts';
import { oddString } from './hostile-values.ts';
import type { Random } from './random.ts';

export type Json = Record<string, unknown>;
type Family = 'IPv4' | 'IPv6';
type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface ExpectedPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly appProtocol?: string;
}

export interface ServiceExpectation {
  readonly key: string;
  readonly ipFamily: Family;
  readonly externalName: boolean;
  readonly publishNotReadyAddresses: boolean;
  /** Sorted by port, then name. */
  readonly ports: readonly ExpectedPort[];
  /** Only kube-xds.io/ annotations are kept. */
  readonly annotations: Readonly<Record<string, string>>;
}

export interface GeneratedService {
  readonly object: Json;
  readonly expect: ServiceExpectation;
}

export interface SliceEndpoint {
  readonly address: string;
  readonly zone: string;
  readonly pod?: string;
  readonly ready: boolean;
  readonly serving: boolean;
  readonly terminating: boolean;
}

export interface SliceExpectation {
  readonly owner: string;
  readonly family: Family | 'FQDN';
  /** Slice port name -> resolved port; ports without a number are left out. */
  readonly ports: readonly { readonly name: string; readonly port: number }[];
  readonly endpoints: readonly SliceEndpoint[];
}

export interface GeneratedSlice {
  readonly object: Json;
  readonly expect: SliceExpectation;
}

const letters = [...'abcdefghijklmnopqrstuvwxyz'];
const alphanumerics = [...letters, ...'0123456789'];
const labelInner = [...alphanumerics, '-', '-'];

/** A DNS-1123 label: lowercase alphanumerics and '-', alphanumeric at both ends, 1..`max` long. */
export function dnsLabel(random: Random, startsWithLetter = false, max = 63): string {
  const length = Math.min(max, random.weighted<() => number>([[6, () => random.between(1, 12)], [1, () => 63], [1, () => random.between(13, 63)]])());
  let text = random.pick(startsWithLetter ? letters : alphanumerics);
  for (let i = 1; i < length - 1; i++) text += random.pick(labelInner);
  if (length > 1) text += random.pick(alphanumerics);
  return text;
}

function dnsSubdomain(random: Random): string {
  return Array.from({ length: random.between(1, 3) }, () => dnsLabel(random, false, 40)).join('.');
}

export function serviceName(random: Random): string {
  return dnsLabel(random, true);
}

export function namespaceName(random: Random): string {
  return dnsLabel(random);
}

/** A valid Service named `name` in `namespace` (both random by default). */
export function validService(random: Random, ref: { namespace?: string; name?: string } = {}): GeneratedService {
  const namespace = ref.namespace ?? namespaceName(random);
  const name = ref.name ?? serviceName(random);
  const type = random.pick([undefined, 'ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']);
  const ipFamilies = random.pick([undefined, [], ['IPv4'], ['IPv6'], ['IPv6', 'IPv4'], ['IPv4', 'IPv6']]);
  const publishNotReadyAddresses = random.pick([undefined, null, true, false]);
  const portCount = random.weighted<() => number>([[3, () => 1], [4, () => random.between(0, 6)], [0.5, () => 100], [0.2, () => 1_000]])();
  const ports = servicePorts(random, portCount);
  const annotations: Record<string, string> = {};
  const kept: Record<string, string> = {};
  const annotated = random.chance(0.7);
  for (let i = annotated ? random.size(4) : 0; i > 0; i--) {
    const key = random.chance(0.5) ? `kube-xds.io/${dnsLabel(random)}` : random.pick(['kubectl.kubernetes.io/last-applied-configuration', `example.com/${dnsLabel(random)}`]);
    const value = random.chance(0.1) ? JSON.stringify({ big: 'x'.repeat(random.pick([1_000, 100_000])) }) : oddString(random, [], false);
    annotations[key] = value;
    if (key.startsWith('kube-xds.io/')) kept[key] = value;
  }
  // Non-string values in annotations kube-xds does not keep are dropped unread.
  if (annotated && random.chance(0.1)) annotations['example.com/not-a-string'] = random.pick([7, null, { a: 1 }]) as unknown as string;
  const labels: Record<string, string> = {};
  const labelCount = random.weighted<() => number>([[20, () => random.size(5)], [1, () => 10_000]])();
  for (let i = labelCount; i > 0; i--) labels[`l${i}.example.com/${labelCount > 10 ? 'many' : dnsLabel(random)}`] = labelCount > 10 ? `v${i}` : random.chance(0.8) ? dnsLabel(random) : '';
  const spec: Json = {
    ports: ports.map((port) => port.written),
    ...(type === undefined ? {} : { type }),
    ...(ipFamilies === undefined ? {} : { ipFamilies }),
    ...(publishNotReadyAddresses === undefined ? {} : { publishNotReadyAddresses }),
    ...(random.chance(0.3) ? { clusterIP: random.pick(['None', '10.96.0.10', 'fd00::a']) } : {}),
    ...(random.chance(0.2) ? { selector: { app: name } } : {}),
  };
  if (ports.length === 0 && random.chance(0.5)) spec.ports = random.pick([null, undefined]);
  const expectedPorts = ports.map((port) => port.expect).sort((a, b) => a.port - b.port || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace, ...(random.chance(0.7) ? { labels } : {}), ...(annotated ? { annotations } : {}), resourceVersion: String(random.below(1e6)), uid: 'u' },
      spec,
      ...(random.chance(0.2) ? { status: { loadBalancer: {} } } : {}),
    },
    expect: {
      key: `${namespace}/${name}`,
      ipFamily: (ipFamilies?.[0] as Family | undefined) ?? 'IPv4',
      externalName: type === 'ExternalName',
      publishNotReadyAddresses: publishNotReadyAddresses === true,
      ports: expectedPorts,
      annotations: kept,
    },
  };
}

function servicePorts(random: Random, count: number): { written: Json; expect: ExpectedPort }[] {
  const names = new Set<string>();
  const numbers = new Set<string>();
  const out: { written: Json; expect: ExpectedPort }[] = [];
  while (out.length < count) {
    // A port name is a DNS-1123 label: all digits is legal ("80").
    const name = count === 1 && random.chance(0.5) ? '' : random.weighted<() => string>([[4, () => dnsLabel(random)], [1, () => String(random.between(1, 65_535))], [1, () => `p${out.length}`]])();
    const port = random.weighted<() => number>([[5, () => random.between(1, 65_535)], [1, () => random.pick([1, 65_535, 80, 443])]])();
    const protocol = random.pick<Protocol | undefined>([undefined, 'TCP', 'UDP', 'SCTP']);
    const effective = protocol ?? 'TCP';
    if (names.has(name) || numbers.has(`${port}/${effective}`)) continue;
    names.add(name);
    numbers.add(`${port}/${effective}`);
    const appProtocol = random.pick([undefined, 'grpc', 'kubernetes.io/h2c', 'http', 'HTTP2', 'example.com/custom']);
    const written: Json = {
      ...(name === '' && random.chance(0.5) ? {} : { name }),
      port,
      ...(protocol === undefined ? (random.chance(0.3) ? { protocol: null } : {}) : { protocol }),
      ...(appProtocol === undefined ? {} : { appProtocol }),
      targetPort: random.pick([port, 'grpc', random.between(1, 65_535)]),
      ...(random.chance(0.2) ? { nodePort: random.between(30_000, 32_767) } : {}),
    };
    out.push({ written, expect: { name, port, protocol: effective, ...(appProtocol === undefined ? {} : { appProtocol }) } });
  }
  return out;
}

/** An address of `family` as the API server accepts it, and the form the model must hold. */
export function validAddress(random: Random, family: Family): { written: string; canonical: string } {
  if (family === 'IPv4') {
    const octets = [10, random.below(256), random.below(256), random.below(256)];
    const canonical = octets.join('.');
    return random.weighted<() => { written: string; canonical: string }>([
      [8, () => ({ written: canonical, canonical })],
      [1, () => ({ written: octets.map((octet) => String(octet).padStart(3, '0')).join('.'), canonical })],
      [1, () => ({ written: `::ffff:${canonical}`, canonical })],
    ])();
  }
  const groups = ['fd00', ...Array.from({ length: 7 }, () => random.below(65_536).toString(16))];
  const canonical = new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
  return random.weighted<() => { written: string; canonical: string }>([
    [6, () => ({ written: canonical, canonical })],
    [1, () => ({ written: groups.map((group) => group.padStart(4, '0')).join(':').toUpperCase(), canonical })],
    [1, () => ({ written: groups.join(':'), canonical })],
  ])();
}

/** A valid slice of `owner` (namespace/name) whose ports are named after `portNames`. */
export function validSlice(random: Random, owner: { namespace: string; name: string }, portNames: readonly string[], family: Family | 'FQDN'): GeneratedSlice {
  const ports: { name: string; port: number }[] = [];
  const writtenPorts: Json[] = [];
  // The API allows 100 ports per slice.
  const names = random.sample(portNames, random.between(Math.min(1, portNames.length), Math.min(100, portNames.length)));
  if (random.chance(0.2)) names.push(dnsLabel(random)); // a port the Service does not have
  for (const name of new Set(names)) {
    const port = random.between(1, 65_535);
    writtenPorts.push({ ...(name === '' && random.chance(0.5) ? {} : { name }), port, protocol: random.pick(['TCP', 'UDP', 'SCTP']), ...(random.chance(0.2) ? { appProtocol: 'grpc' } : {}) });
    ports.push({ name, port });
  }
  // A port without a number means "all ports" in the API; it routes nowhere here.
  if (random.chance(0.1)) writtenPorts.push({ name: 'all', port: null });
  const endpoints: SliceEndpoint[] = [];
  const writtenEndpoints: Json[] = [];
  const seen = new Set<string>();
  const count = random.weighted<() => number>([[12, () => random.size(8)], [1, () => 1_000]])();
  for (let i = 0; i < count && family !== 'FQDN'; i++) {
    const address = validAddress(random, family);
    if (seen.has(address.canonical)) continue;
    seen.add(address.canonical);
    // Conditions left out, or null, take the API defaults.
    const written = random.chance(0.8);
    const [ready, serving, terminating] = written ? conditionsOf(random) : [undefined, undefined, undefined];
    const zone = random.pick([undefined, 'zone-a', 'zone-b', '', oddString(random, [], false)]);
    const pod = random.chance(0.6) ? dnsSubdomain(random) : undefined;
    const conditions: Json = {};
    if (ready !== undefined) conditions.ready = ready;
    if (serving !== undefined) conditions.serving = serving;
    if (terminating !== undefined) conditions.terminating = terminating;
    // Only addresses[0] is used; the rest are never read, however many or odd.
    const extraAddresses = i > 0 ? [] : random.weighted<() => unknown[]>([
      [10, () => []],
      [3, () => ['not even an address', 7]],
      [1, () => Array.from({ length: 99 }, (_, k) => `10.9.${k >> 8}.${k & 255}`)],
      [0.3, () => Array.from({ length: 10_000 }, () => 'x')],
    ])();
    writtenEndpoints.push({
      addresses: [address.written, ...extraAddresses],
      ...(written ? { conditions } : random.chance(0.5) ? { conditions: null } : {}),
      ...(zone === undefined ? {} : { zone }),
      ...(pod === undefined ? (random.chance(0.2) ? { targetRef: { kind: 'Node', name: 'n1' } } : {}) : { targetRef: { kind: 'Pod', name: pod, namespace: owner.namespace } }),
      ...(random.chance(0.3) ? { nodeName: dnsSubdomain(random), hostname: dnsLabel(random) } : {}),
      ...(random.chance(0.1) ? { hints: { forZones: [{ name: 'zone-a' }] }, deprecatedTopology: { 'kubernetes.io/hostname': 'n1' } } : {}),
    });
    const readyValue = ready ?? true;
    endpoints.push({ address: address.canonical, zone: zone ?? '', ...(pod === undefined ? {} : { pod }), ready: readyValue, serving: serving ?? readyValue, terminating: terminating ?? false });
  }
  if (family === 'FQDN') writtenEndpoints.push({ addresses: ['pod.example.com'] });
  const name = random.chance(0.5) ? `${owner.name}-${dnsLabel(random, false, 10)}` : dnsSubdomain(random);
  return {
    object: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name,
        namespace: owner.namespace,
        labels: { 'kubernetes.io/service-name': owner.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
        ...(random.chance(0.3) ? { ownerReferences: [{ kind: 'Service', name: owner.name }] } : {}),
      },
      addressType: family,
      ports: random.chance(0.1) && writtenPorts.length === 0 ? null : writtenPorts,
      endpoints: writtenEndpoints.length === 0 && random.chance(0.5) ? null : writtenEndpoints,
    },
    expect: { owner: `${owner.namespace}/${owner.name}`, family, ports: family === 'FQDN' ? [] : ports, endpoints },
  };
}

type Condition = boolean | null | undefined;

/** ready, serving, terminating: mostly the states pods go through, sometimes any mix. */
function conditionsOf(random: Random): [Condition, Condition, Condition] {
  const any = (): Condition => random.pick([undefined, null, true, false]);
  return random.weighted<() => [Condition, Condition, Condition]>([
    [3, () => [random.pick([true, undefined, null]), random.pick([true, undefined]), random.pick([false, undefined, null])]],
    [2, () => [false, true, true]], // terminating, still serving: draining
    [1, () => [false, random.pick([false, undefined]), any()]], // not ready, not serving: left out
    [1, () => [false, true, random.pick([false, undefined])]], // serving but not ready nor terminating: left out
    [2, () => [any(), any(), any()]],
  ])();
}

/** Health of one endpoint under the API defaults and kube-proxy's rule (docs/design.md §4). */
export function healthOf(endpoint: SliceEndpoint, allReady: boolean): EndpointHealth | undefined {
  if (allReady || endpoint.ready) return 'HEALTHY';
  return endpoint.serving && endpoint.terminating ? 'DRAINING' : undefined;
}

/**
 * The endpoints the model must show for `service`'s ports when `slice` is its only slice:
 * `address|port|health|zone|pod` per endpoint, sorted as text (order is checked apart).
 */
export function expectedEndpoints(service: ServiceExpectation, slice: SliceExpectation | undefined): Map<string, string[]> {
  const byPort = new Map<string, string[]>();
  for (const port of service.ports) {
    const found = new Map<string, { health: EndpointHealth; line: string }>();
    const usable = slice !== undefined && !service.externalName && slice.family === service.ipFamily;
    for (const slicePort of usable ? slice.ports : []) {
      if (slicePort.name !== port.name) continue;
      for (const endpoint of slice!.endpoints) {
        const health = healthOf(endpoint, service.publishNotReadyAddresses);
        if (health === undefined) continue;
        const key = `${endpoint.address}|${slicePort.port}`;
        const existing = found.get(key);
        if (existing && !(existing.health === 'DRAINING' && health === 'HEALTHY')) continue;
        found.set(key, { health, line: `${key}|${health}|${endpoint.zone}|${endpoint.pod ?? ''}` });
      }
    }
    byPort.set(`${port.port}/${port.name}`, [...found.values()].map((entry) => entry.line).sort());
  }
  return byPort;
}
