// Ways to break a valid EndpointSlice (kube-objects.ts), each with its verdict: address
// type, endpoints, addresses, conditions, zones, target references, ports; and legal oddities
// (duplicates, FQDN slices, slices of another Service).
import { chaosValue, oddNumber } from './hostile-values.ts';
import { accepted, badPortNumber, isPortNumber, notAString, rejected, type Mutation } from './kube-mutation.ts';
import { validAddress, type GeneratedService, type Json, type SliceExpectation } from './kube-objects.ts';
import type { Random } from './random.ts';

export function sliceMutations(random: Random, owner: GeneratedService): Mutation<SliceExpectation>[] {
  const endpointsOf = (object: Json) => (object.endpoints as Json[] | null) ?? [];
  const someEndpoint = (object: Json): [Json, number] | undefined => {
    const endpoints = endpointsOf(object);
    if (endpoints.length === 0) return undefined;
    const index = random.below(endpoints.length);
    return [endpoints[index]!, index];
  };
  const family = (object: Json) => object.addressType as 'IPv4' | 'IPv6' | 'FQDN';
  return [
    [2, (object) => {
      object.addressType = random.pick<unknown>([undefined, null, 'ipv4', 'IP', 4, '', 'IPv4 ']);
      return rejected(`addressType is ${JSON.stringify(object.addressType)}`, 'addressType');
    }],
    [1, (object) => {
      if (family(object) === 'FQDN') return undefined;
      object.endpoints = random.pick(['10.0.0.1', {}, 7]);
      return rejected('endpoints is not a list', 'endpoints');
    }],
    [1, (object) => {
      if (family(object) === 'FQDN') return undefined;
      const endpoints = endpointsOf(object);
      const index = random.below(endpoints.length + 1);
      endpoints.splice(index, 0, random.pick<unknown>([null, '10.0.0.1', []]) as Json);
      object.endpoints = endpoints;
      return rejected(`endpoints[${index}] is not an object`, `endpoints[${index}]`);
    }],
    [5, (object) => {
      const found = someEndpoint(object);
      if (!found || family(object) === 'FQDN') return undefined;
      const [endpoint, index] = found;
      const other = family(object) === 'IPv4' ? validAddress(random, 'IPv6').written : validAddress(random, 'IPv4').canonical;
      const bad = random.pick<unknown>([undefined, null, [], 'x', [7], [null], [''], ['10.0.0.256'], ['1.2.3'], ['10.0.0.1 '], [' 10.0.0.1'], ['10.0.0.1/32'], ['fe80::1%eth0'], ['::10.0.0.1'], [other], ['1'.repeat(1_000_000)], ['pod.example.com']]);
      if (family(object) === 'IPv6' && Array.isArray(bad) && bad[0] === '::10.0.0.1') return undefined; // a legal IPv6 address
      endpoint.addresses = bad;
      const field = Array.isArray(bad) && bad.length > 0 ? `endpoints[${index}].addresses[0]` : `endpoints[${index}].addresses`;
      return rejected(`${field} is ${JSON.stringify(bad)?.slice(0, 40)}`, field);
    }],
    [3, (object) => {
      const found = someEndpoint(object);
      if (!found || family(object) === 'FQDN') return undefined;
      const [endpoint, index] = found;
      if (random.chance(0.3)) {
        endpoint.conditions = random.pick(['ready', [], 7, true]);
        return rejected(`endpoints[${index}].conditions is not an object`, `endpoints[${index}].conditions`);
      }
      const condition = random.pick(['ready', 'serving', 'terminating']);
      endpoint.conditions = { ...(endpoint.conditions as Json | null), [condition]: random.pick<unknown>(['true', 1, 0, {}, [], 'False']) };
      return rejected(`endpoints[${index}].conditions.${condition} is not a boolean`, `endpoints[${index}].conditions.${condition}`);
    }],
    [2, (object, expect) => {
      const found = someEndpoint(object);
      if (!found || family(object) === 'FQDN') return undefined;
      const [endpoint, index] = found;
      const what = random.pick(['zone', 'targetRef', 'pod name', 'node name']);
      if (what === 'zone') endpoint.zone = notAString(random);
      else if (what === 'targetRef') endpoint.targetRef = random.pick(['pod-1', [], 7]);
      else if (what === 'pod name') endpoint.targetRef = { kind: 'Pod', name: notAString(random) };
      else {
        // Only a Pod's name is read.
        endpoint.targetRef = { kind: 'Node', name: notAString(random) };
        const endpoints = expect.endpoints.map((e, i) => (i === index ? withoutPod(e) : e));
        return accepted("a Node targetRef's name is not a string (never read)", { slice: { ...expect, endpoints } });
      }
      const field = what === 'zone' ? `endpoints[${index}].zone` : `endpoints[${index}].targetRef`;
      return rejected(`${field}: ${what} of the wrong type`, field);
    }],
    [2, (object, expect) => {
      const ports = (object.ports as Json[] | null) ?? [];
      if (ports.length === 0 || family(object) === 'FQDN') return undefined;
      const index = random.below(ports.length);
      const port = ports[index]!;
      if (random.chance(0.3)) {
        port.name = notAString(random);
        // A port without a number routes nowhere and is skipped unread.
        if (port.port == null) return accepted(`ports[${index}] (no number) has a name that is not a string`, { slice: expect });
        return rejected(`ports[${index}].name is not a string`, `ports[${index}].name`);
      }
      // A slice port without a number is legal ("all ports"): only a present, wrong one is refused.
      const bad = badPortNumber(random, (value) => value == null || isPortNumber(value), oddNumber(random));
      if (!bad) return undefined;
      port.port = bad.value;
      return rejected(`ports[${index}].port is ${JSON.stringify(bad.value)}`, `ports[${index}].port`);
    }],
    [1, (object) => {
      if (family(object) === 'FQDN') return undefined;
      object.ports = random.pick(['grpc', 7, {}]);
      return rejected('ports is not a list', 'ports');
    }],
    [2, (object, expect) => {
      const endpoints = endpointsOf(object);
      if (endpoints.length === 0) return undefined;
      const copies = random.sample(endpoints, random.between(1, endpoints.length)).map((endpoint) => structuredClone(endpoint));
      object.endpoints = random.chance(0.5) ? [...endpoints, ...copies] : [...copies, ...endpoints];
      // A copy placed first wins over its original only when it is healthier: equal, so either way the same.
      return accepted(`${copies.length} endpoints listed twice`, { slice: expect });
    }],
    [2, (object, expect) => {
      // The same address again, first, draining and in another zone: the healthier entry must win.
      const found = someEndpoint(object);
      if (!found || family(object) === 'FQDN') return undefined;
      const [endpoint, index] = found;
      const copy = { ...structuredClone(endpoint), zone: 'copy-zone', conditions: { ready: false, serving: true, terminating: true } };
      object.endpoints = [copy, ...endpointsOf(object)];
      const original = expect.endpoints[index]!;
      const endpoints = [{ ...original, zone: 'copy-zone', ready: false, serving: true, terminating: true }, ...expect.endpoints];
      return accepted(`endpoint ${index} listed again first, draining`, { slice: { ...expect, endpoints } });
    }],
    [1, (object, expect) => {
      object.addressType = 'FQDN';
      if (random.chance(0.5)) object.endpoints = chaosValue(random, 2);
      return accepted('an FQDN slice (its contents are never read)', { slice: { ...expect, family: 'FQDN', ports: [], endpoints: [] } });
    }],
    [1, (object, expect) => {
      (object.metadata as Json).labels = { 'kubernetes.io/service-name': random.pick([`${owner.expect.key.split('/')[1]}-other`, '', 'Upper', 'x'.repeat(300)]) };
      return accepted('a slice of another (or no such) Service', { slice: { ...expect, owner: 'none/none' } });
    }],
  ];
}

function withoutPod<T extends { pod?: string }>(endpoint: T): T {
  const { pod: _pod, ...rest } = endpoint;
  return rest as T;
}

