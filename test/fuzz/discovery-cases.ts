// Hostile DiscoveryRequests and DeltaDiscoveryRequests, each drawn from its own seeded
// generator: random bytes, mutations of valid encodings, and valid encodings of odd content
// (type URLs, names, nonces, error details, initial versions, locators, nodes of odd shapes).
import { roleMetadataKey } from '../../envoy-config/bootstrap-envoy.ts';
import { envoy, google } from '../../generated/envoy.js';
import { TypeUrl } from '../../control-plane/types.ts';
import { mutateText, oddNumber, oddString } from './hostile-values.ts';
import { concat, encodeField, mutate, tag, varint, WireType } from './protobuf-wire.ts';
import type { Random } from './random.ts';

const { DiscoveryRequest, DeltaDiscoveryRequest } = envoy.service.discovery.v3;
type Node = envoy.config.core.v3.INode;
type Value = google.protobuf.IValue;

export type Protocol = 'sotw' | 'delta';

export interface RequestCase {
  readonly description: string;
  readonly bytes: Uint8Array;
  /**
   * The request is well formed and within every limit, so the server must keep the stream
   * open. False when it may end it with a clear status (malformed bytes, no node on the
   * first request, an unknown role, no type_url...).
   */
  readonly keepsStream: boolean;
}

/** What the generators know of the server they talk to. */
export interface Target {
  /** Resource names that exist (mutated into near misses too). */
  readonly names: readonly string[];
}

const knownTypes = Object.values(TypeUrl);
/** Well under every request size limit the server may set, so a valid request this big must be served. */
const keptRequestBytes = 4 * 1024 * 1024;
const sotwFields = [1, 2, 3, 4, 5, 6, 7];
const deltaFields = [1, 2, 3, 4, 5, 6, 7, 8, 9];

/** One fuzz case for a stream; `first`: the stream has not identified itself yet. */
export function requestCase(random: Random, protocol: Protocol, target: Target, first: boolean): RequestCase {
  // A stream's first request is mostly well formed, so that most cases reach the protocol
  // rather than die at the door.
  const broken = first ? 0.25 : 1;
  return random.weighted<() => RequestCase>([
    [55, () => structured(random, protocol, target, first)],
    [25 * broken, () => {
      const valid = structured(random, protocol, target, first);
      const mutation = mutate(random, valid.bytes, protocol === 'sotw' ? sotwFields : deltaFields);
      return { description: `${valid.description}, then ${mutation.description}`, bytes: mutation.bytes, keepsStream: false };
    }],
    [5 * broken, () => {
      const length = random.pick([0, 1, 2, 7, 64, 1_000, random.size(100_000)]);
      return { description: `${length} random bytes`, bytes: random.bytes(length), keepsStream: false };
    }],
    [5 * broken, () => {
      // Two requests back to back are one request to a decoder: fields merge, lists add up.
      const a = structured(random, protocol, target, first);
      const b = structured(random, protocol, target, false);
      const bytes = concat([a.bytes, b.bytes]);
      return { description: `merged: (${a.description}) + (${b.description})`, bytes, keepsStream: a.keepsStream && b.keepsStream && bytes.length <= keptRequestBytes };
    }],
    [5, () => deepMetadata(random, protocol, first)],
  ])();
}

/** A valid encoding of odd content. */
function structured(random: Random, protocol: Protocol, target: Target, first: boolean): RequestCase {
  const node = first || random.chance(0.1) ? nodeOf(random) : { node: null, description: 'no node', valid: !first };
  const type = typeUrl(random);
  const error = random.chance(0.15) ? errorDetail(random) : undefined;
  const nonce = random.weighted<() => string>([[5, () => ''], [3, () => random.between(1, 40).toString(36)], [2, () => oddString(random)]])();
  const parts = [`${protocol} ${type.description}`, node.description];
  const common = { ...(node.node ? { node: node.node } : {}), type_url: type.url, response_nonce: nonce, ...(error ? { error_detail: error } : {}) };
  let request: object;
  let bytes: Uint8Array;
  if (protocol === 'sotw') {
    const names = resourceNames(random, target);
    parts.push(names.description);
    const sotw: envoy.service.discovery.v3.IDiscoveryRequest = {
      ...common,
      resource_names: names.names,
      version_info: random.chance(0.5) ? '' : oddString(random),
      ...(random.chance(0.1) ? { resource_locators: [{ name: oddString(random, target.names), dynamic_parameters: dictionary([[oddString(random), oddString(random)]]) }] } : {}),
    };
    request = sotw;
    bytes = DiscoveryRequest.encode(sotw).finish();
  } else {
    const subscribe = resourceNames(random, target);
    const unsubscribe = random.chance(0.3) ? resourceNames(random, target) : { names: [], description: 'none' };
    const initial = random.chance(0.2) ? initialVersions(random, target) : undefined;
    parts.push(`subscribe ${subscribe.description}`, `unsubscribe ${unsubscribe.description}`, initial ? `${Object.keys(initial).length} initial versions` : 'no initial versions');
    const delta: envoy.service.discovery.v3.IDeltaDiscoveryRequest = {
      ...common,
      resource_names_subscribe: subscribe.names,
      resource_names_unsubscribe: unsubscribe.names,
      ...(initial ? { initial_resource_versions: initial } : {}),
      ...(random.chance(0.1) ? { resource_locators_subscribe: [{ name: oddString(random, target.names) }] } : {}),
    };
    request = delta;
    bytes = DeltaDiscoveryRequest.encode(delta).finish();
  }
  if (error) parts.push(`error_detail code ${error.code}`);
  // Besides a bad node or type: text that is not valid UTF-8 once encoded, or a request so big a server limit may refuse it.
  const keepsStream = node.valid && type.valid && textsAreWellFormed(request) && bytes.length <= keptRequestBytes;
  return { description: `${parts.join(', ')} (${bytes.length} bytes)`, bytes, keepsStream };
}

/** A lone surrogate encodes to invalid UTF-8, which the server rightly refuses. */
function isWellFormed(text: string): boolean {
  return !loneSurrogate.test(text);
}

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function typeUrl(random: Random): { url: string; description: string; valid: boolean } {
  const url = random.weighted<() => string>([
    [14, () => random.pick(knownTypes)],
    [1, () => ''],
    [1, () => '*'],
    [2, () => 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret'],
    [1, () => 'type.googleapis.com/envoy.api.v2.Cluster'],
    [2, () => mutateText(random, random.pick(knownTypes))],
    [2, () => oddString(random)],
  ])();
  // An empty type_url ends an ADS stream; an unknown one is ignored.
  return { url, description: `type ${JSON.stringify(url.slice(0, 60))}`, valid: url !== '' && isWellFormed(url) };
}

function resourceNames(random: Random, target: Target): { names: string[]; description: string } {
  const names = random.weighted<() => string[]>([
    [4, () => random.sample(target.names, random.between(1, 3))],
    [3, () => []],
    [2, () => ['*']],
    [2, () => [random.pick(target.names), '*', random.pick(target.names)]],
    [2, () => [random.pick(target.names), random.pick(target.names)]],
    [4, () => Array.from({ length: random.size(8) }, () => oddString(random, target.names, false))],
    [0.3, () => [oddString(random, target.names)]],
    [1, () => Array.from({ length: random.pick([1_000, 10_000]) }, (_, i) => `made-up-${i}`)],
  ])();
  const shown = names.length > 3 ? `${names.length} names` : JSON.stringify(names.map((name) => name.slice(0, 40)));
  return { names, description: `names ${shown}` };
}

function initialVersions(random: Random, target: Target): Record<string, string> {
  const versions = dictionary<string>();
  const count = random.weighted<() => number>([[5, () => random.size(6)], [1, () => random.pick([1_000, 5_000])]])();
  for (let i = 0; i < count; i++) {
    const name = random.weighted<() => string>([[3, () => random.pick(target.names)], [2, () => oddString(random, target.names, false)], [1, () => '__proto__'], [1, () => '*'], [count > 10 ? 10 : 0, () => `held-${i}`]])();
    versions[name] = random.weighted<() => string>([[3, () => random.between(0, 1e6).toString(16)], [1, () => ''], [1, () => oddString(random, [], count < 10)]])();
  }
  return versions;
}

function errorDetail(random: Random): google.rpc.IStatus {
  return {
    code: random.pick([0, 2, 3, 13, 16, 17, -1, 2 ** 31 - 1, -(2 ** 31)]),
    message: oddString(random),
    ...(random.chance(0.3) ? { details: [{ type_url: oddString(random), value: random.bytes(random.size(64)) }] } : {}),
  };
}

/** A node of an odd shape; `valid`: the server must accept it as a stream's first. */
export function nodeOf(random: Random): { node: Node | null; description: string; valid: boolean } {
  if (random.chance(0.04)) return { node: null, description: 'no node', valid: false };
  const node: Node = {};
  const notes: string[] = [];
  if (random.chance(0.8)) node.id = random.chance(0.6) ? `fuzz-${random.below(1_000)}` : oddString(random);
  if (random.chance(0.5)) node.cluster = random.chance(0.5) ? 'fuzz' : oddString(random);
  node.user_agent_name = random.weighted<() => string>([[4, () => 'envoy'], [4, () => 'gRPC Go'], [1, () => 'ENVOY'], [1, () => ''], [1, () => oddString(random)]])();
  if (random.chance(0.5)) node.user_agent_version = oddString(random);
  else if (random.chance(0.3)) node.user_agent_build_version = { version: { major_number: random.pick([0, 1, 2 ** 32 - 1]), minor_number: 2 ** 31, patch: 7 }, metadata: randomStruct(random, 2) };
  if (random.chance(0.3)) node.locality = { region: oddString(random), zone: oddString(random), sub_zone: oddString(random) };
  if (random.chance(0.3)) node.client_features = Array.from({ length: random.size(300) }, () => oddString(random));
  if (random.chance(0.2)) node.extensions = [{ name: oddString(random), category: oddString(random), type_urls: [oddString(random)], disabled: true }];
  if (random.chance(0.2)) node.listening_addresses = [{ socket_address: { address: oddString(random), port_value: random.pick([0, 65_535, 65_536, 2 ** 32 - 1]) } }];
  if (random.chance(0.1)) node.dynamic_parameters = dictionary([[oddString(random), { params: dictionary([[oddString(random), oddString(random)]]) }]]);
  let valid = true;
  if (random.chance(0.6)) {
    const metadata = randomStruct(random, random.between(0, 4));
    const fields = (metadata.fields ??= {});
    const role = roleValue(random);
    if (role) {
      fields[roleMetadataKey] = role.value;
      notes.push(`role ${role.description}`);
      valid &&= role.valid;
    }
    if (random.chance(0.1)) for (let i = random.pick([1_000, 10_000]); i > 0; i--) fields[`key-${i}`] = { numberValue: i };
    node.metadata = metadata;
  }
  if (random.chance(0.06)) {
    // One field far beyond any real size: it must not end up whole in a status, a log line or a label.
    const huge = random.pick(['x', 'é', '🙂']).repeat(random.pick([100_000, 200_000]));
    const field = random.pick(['id', 'cluster', 'user_agent_name', 'user_agent_version', 'locality', 'client_features', 'role', 'role'] as const);
    notes.push(`a huge ${field}`);
    if (field === 'locality') node.locality = { zone: huge };
    else if (field === 'client_features') node.client_features = [huge];
    else if (field === 'role') {
      node.metadata = { fields: dictionary([[roleMetadataKey, { stringValue: huge }]]) };
      valid = false;
    } else node[field] = huge;
  }
  valid &&= textsAreWellFormed(node);
  return { node, description: `node ${JSON.stringify(String(node.id ?? '(no id)').slice(0, 30))} agent ${JSON.stringify(node.user_agent_name?.slice(0, 20))}${notes.length ? ` ${notes.join(' ')}` : ''}`, valid };
}

function roleValue(random: Random): { value: Value; description: string; valid: boolean } | undefined {
  return random.weighted<() => { value: Value; description: string; valid: boolean } | undefined>([
    [6, () => undefined],
    [8, () => {
      const role = random.pick(['gateway', 'sidecar', 'proxyless']);
      return { value: { stringValue: role }, description: role, valid: true };
    }],
    [0.5, () => ({ value: { stringValue: random.pick(['GATEWAY', '', 'ingress', 'gateway ']) }, description: 'a wrong string', valid: false })],
    [0.5, () => ({ value: { numberValue: oddNumber(random) }, description: 'a number', valid: false })],
    [0.5, () => ({ value: { boolValue: true }, description: 'a boolean', valid: false })],
    [0.5, () => ({ value: { nullValue: google.protobuf.NullValue.NULL_VALUE }, description: 'null', valid: false })],
    [0.5, () => ({ value: { structValue: randomStruct(random, 3) }, description: 'a struct', valid: false })],
    [0.5, () => ({ value: { listValue: { values: [{ stringValue: 'gateway' }] } }, description: 'a list', valid: false })],
    [0.5, () => ({ value: {}, description: 'an empty Value', valid: false })],
    [0.5, () => ({ value: { stringValue: oddString(random) }, description: 'an odd string', valid: false })],
  ])();
}

function randomStruct(random: Random, depth: number): google.protobuf.IStruct {
  const fields = dictionary<Value>();
  for (let i = random.size(6); i > 0; i--) fields[oddString(random, [], false)] = randomValue(random, depth - 1);
  return { fields };
}

function randomValue(random: Random, depth: number): Value {
  return random.weighted<() => Value>([
    [2, () => ({ nullValue: google.protobuf.NullValue.NULL_VALUE })],
    [2, () => ({ numberValue: oddNumber(random) })],
    [3, () => ({ stringValue: oddString(random, [], depth > 1) })],
    [1, () => ({ boolValue: random.chance(0.5) })],
    [depth > 0 ? 2 : 0, () => ({ structValue: randomStruct(random, depth) })],
    [depth > 0 ? 2 : 0, () => ({ listValue: { values: Array.from({ length: random.size(20) }, () => randomValue(random, depth - 1)) } })],
    [1, () => ({})],
  ])();
}

/** A map without a prototype, so that odd keys such as "__proto__" stay ordinary entries. */
function dictionary<T>(entries: readonly (readonly [string, T])[] = []): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, Object.fromEntries(entries));
}

function textsAreWellFormed(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const item = pending.pop();
    if (typeof item === 'string' && !isWellFormed(item)) return false;
    if (typeof item === 'object' && item !== null) {
      if (ArrayBuffer.isView(item)) continue;
      for (const [key, inner] of Object.entries(item)) {
        if (!isWellFormed(key)) return false;
        pending.push(inner);
      }
    }
  }
  return true;
}

/**
 * A request whose node metadata nests lists `depth` deep, written by hand (protobufjs will not
 * encode past its recursion limit of 100, and decodes to it): shallow ones must be served,
 * deeper ones refused with a clear status, never a stack overflow.
 */
function deepMetadata(random: Random, protocol: Protocol, first: boolean): RequestCase {
  const depth = random.pick([10, 40, 48, 49, 120, 500]);
  let value: Uint8Array = encodeField({ number: 3, wireType: WireType.Len, payload: new TextEncoder().encode('bottom') });
  for (let i = 0; i < depth; i++) {
    const list = encodeField({ number: 1, wireType: WireType.Len, payload: value });
    value = encodeField({ number: 6, wireType: WireType.Len, payload: list });
  }
  const key = random.chance(0.3) ? roleMetadataKey : 'deep';
  const entry = concat([encodeField({ number: 1, wireType: WireType.Len, payload: new TextEncoder().encode(key) }), encodeField({ number: 2, wireType: WireType.Len, payload: value })]);
  const struct = encodeField({ number: 1, wireType: WireType.Len, payload: entry });
  const node = concat([envoy.config.core.v3.Node.encode({ id: 'deep', user_agent_name: 'gRPC Go' }).finish(), tag(3, WireType.Len), varint(struct.length), struct]);
  const type = random.pick(knownTypes);
  const rest = protocol === 'sotw'
    ? DiscoveryRequest.encode({ type_url: type, resource_names: ['deep'] }).finish()
    : DeltaDiscoveryRequest.encode({ type_url: type, resource_names_subscribe: ['deep'] }).finish();
  const bytes = concat([rest, encodeField({ number: protocol === 'sotw' ? 2 : 1, wireType: WireType.Len, payload: node })]);
  // DiscoveryRequest > Node > Struct > entry value: 3 levels, then 2 per list level, within protobufjs's 100.
  const decodes = 3 + 2 * depth <= 100;
  const keepsStream = decodes && (key !== roleMetadataKey || !first);
  return { description: `node metadata ${key} nested ${depth} lists deep`, bytes, keepsStream };
}
