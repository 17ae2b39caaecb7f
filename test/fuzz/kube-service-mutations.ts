// Ways to break a valid Service (kube-objects.ts), each with its verdict: its spec, ports,
// names, protocols, address families, annotations, and 100,000 ports.
import { chaosValue, oddNumber } from './hostile-values.ts';
import { accepted, badLabels, badPortNumber, isPortNumber, notAString, rejected, type Broken, type Mutation } from './kube-mutation.ts';
import { dnsLabel, type Json, type ServiceExpectation } from './kube-objects.ts';
import type { Random } from './random.ts';

export function serviceMutations(random: Random): Mutation<ServiceExpectation>[] {
  const specOf = (object: Json) => object.spec as Json;
  const portsOf = (object: Json) => (specOf(object).ports as Json[] | null | undefined) ?? [];
  const somePort = (object: Json): [Json, number] | undefined => {
    const ports = portsOf(object);
    if (ports.length === 0) return undefined;
    const index = random.below(ports.length);
    return [ports[index]!, index];
  };
  return [
    [1, (object) => {
      object.spec = random.pick([undefined, null, [], 'ClusterIP']);
      return rejected(`spec is ${JSON.stringify(object.spec)}`, 'spec');
    }],
    [1, (object) => {
      specOf(object).ports = random.pick(['grpc', 7, { 0: { port: 80 } }]);
      return rejected('spec.ports is not a list', 'spec.ports');
    }],
    [1, (object) => {
      const ports = portsOf(object);
      const index = random.below(ports.length + 1);
      ports.splice(index, 0, random.pick<unknown>([null, 'grpc', 80, []]) as Json);
      specOf(object).ports = ports;
      // With a second port, a lone unnamed one may be what fails first.
      return rejected(`spec.ports[${index}] is not an object`, 'spec.ports[');
    }],
    [4, (object) => {
      const found = somePort(object);
      if (!found) return undefined;
      const [port, index] = found;
      const bad = badPortNumber(random, isPortNumber, oddNumber(random));
      if (!bad) return undefined;
      port.port = bad.value;
      return rejected(`spec.ports[${index}].port is ${JSON.stringify(bad.value)}`, `spec.ports[${index}].port`);
    }],
    [2, (object) => {
      const found = somePort(object);
      if (!found) return undefined;
      const [port, index] = found;
      port.protocol = random.pick<unknown>(['tcp', 'HTTP', '', 6, {}, 'TCP ']);
      return rejected(`spec.ports[${index}].protocol is ${JSON.stringify(port.protocol)}`, `spec.ports[${index}].protocol`);
    }],
    [3, (object) => {
      const ports = portsOf(object);
      if (ports.length < 2) return undefined;
      const [i, j] = random.sample([...ports.keys()], 2).sort((a, b) => a - b) as [number, number];
      const what = random.pick(['name', 'missing name', 'number and protocol', 'bad name']);
      if (what === 'name') ports[j]!.name = ports[i]!.name;
      else if (what === 'missing name') ports[j]!.name = random.pick([undefined, '', null]);
      else if (what === 'bad name') ports[j]!.name = random.pick<unknown>([...badLabels, 7, ['a']]);
      else {
        ports[j]!.port = ports[i]!.port;
        ports[j]!.protocol = ports[i]!.protocol ?? random.pick([undefined, 'TCP']);
      }
      const field = what === 'number and protocol' ? `spec.ports[${j}].port` : `spec.ports[${j}].name`;
      return rejected(`ports ${i} and ${j}: ${what}`, field);
    }],
    [1, (object) => {
      const found = somePort(object);
      if (!found) return undefined;
      const [port, index] = found;
      port.appProtocol = notAString(random);
      return rejected(`spec.ports[${index}].appProtocol is not a string`, `spec.ports[${index}].appProtocol`);
    }],
    [1, (object) => {
      specOf(object).ipFamilies = random.pick<unknown>(['IPv4', ['IPv5'], ['ipv4'], [null], [7], {}]);
      return rejected(`spec.ipFamilies is ${JSON.stringify(specOf(object).ipFamilies)}`, 'spec.ipFamilies');
    }],
    [1, (object) => {
      const spec = specOf(object);
      if (random.chance(0.5)) spec.type = notAString(random);
      else spec.publishNotReadyAddresses = random.pick<unknown>(['true', 1, {}]);
      return rejected('spec.type or spec.publishNotReadyAddresses of the wrong type', 'spec.');
    }],
    [1, (object, expect) => {
      const metadata = object.metadata as Json;
      const kept = `kube-xds.io/${dnsLabel(random)}`;
      metadata.annotations = { ...(metadata.annotations as Json | undefined), [kept]: notAString(random) };
      if (random.chance(0.5)) return rejected(`annotation ${kept} is not a string`, 'metadata.annotations');
      delete (metadata.annotations as Json)[kept];
      (metadata.annotations as Json)['example.com/ignored'] = notAString(random);
      return accepted('an annotation kube-xds does not keep holds a non-string', { service: expect });
    }],
    [1, (object, expect) => {
      const found = somePort(object);
      if (!found) return undefined;
      found[0].targetPort = chaosValue(random, 2);
      found[0].nodePort = oddNumber(random);
      return accepted('targetPort and nodePort hold anything (never read)', { service: expect });
    }],
    [1, (object, expect) => {
      const spec = specOf(object);
      spec.type = random.pick(['clusterip', 'Weird', '', 'externalname']);
      return accepted(`spec.type is ${JSON.stringify(spec.type)}`, { service: { ...expect, externalName: false } });
    }],
    [0.25, (object, expect) => hugePorts(random, object, expect)],
  ];
}

/** 100,000 ports, every one legal (65,535 numbers × 3 protocols allow it), or one repeated among them. */
function hugePorts(random: Random, object: Json, expect: ServiceExpectation): Broken {
  const protocols = ['TCP', 'UDP', 'SCTP'] as const;
  const count = 100_000;
  const ports = Array.from({ length: count }, (_, i) => ({ name: `p${i}`, port: (i % 65_535) + 1, protocol: protocols[Math.floor(i / 65_535)]! }));
  (object.spec as Json).ports = ports;
  if (random.chance(0.5)) {
    const at = random.between(1, count - 1);
    ports[at] = { ...ports[random.below(at)]!, name: `p${at}` };
    return rejected(`${count} ports, port ${at} repeats an earlier one`, `spec.ports[${at}].port`);
  }
  const expected = ports.map(({ name, port, protocol }) => ({ name, port, protocol })).sort((a, b) => a.port - b.port || (a.name < b.name ? -1 : 1));
  return accepted(`${count} distinct ports`, { service: { ...expect, ports: expected } });
}

