// Compares a Service model with what the generators say it must be; each check returns what
// is wrong, or undefined.
import type { ServiceModel } from '../../k8s/model.ts';
import { expectedEndpoints, type ServiceExpectation, type SliceExpectation } from './kube-objects.ts';

export function checkServiceModel(model: ServiceModel | undefined, expect: ServiceExpectation): string | undefined {
  if (!model) return `no model for ${expect.key}`;
  if (model.ipFamily !== expect.ipFamily) return `ipFamily ${model.ipFamily}, expected ${expect.ipFamily}`;
  const annotations = JSON.stringify(Object.entries(model.annotations));
  const wantAnnotations = JSON.stringify(Object.entries(expect.annotations).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  if (annotations !== wantAnnotations) return `annotations ${annotations.slice(0, 200)}, expected ${wantAnnotations.slice(0, 200)}`;
  const portText = (port: { name: string; port: number; protocol: string; appProtocol?: string }) => `${port.port}/${port.protocol}/${port.name}/${port.appProtocol ?? ''}`;
  const got = model.ports.map(portText);
  const want = expect.ports.map(portText);
  if (got.length !== want.length || [...got].sort().join() !== [...want].sort().join()) {
    return `ports [${got.slice(0, 5).join(', ')}${got.length > 5 ? ', ...' : ''}] (${got.length}), expected [${want.slice(0, 5).join(', ')}] (${want.length})`;
  }
  for (let i = 1; i < model.ports.length; i++) if (model.ports[i - 1]!.port > model.ports[i]!.port) return `ports not sorted by number at ${i}`;
  return undefined;
}

/** The model's endpoints are those `slice` (its Service's only slice, if any) gives, in address order. */
export function checkEndpoints(model: ServiceModel | undefined, service: ServiceExpectation, slice: SliceExpectation | undefined): string | undefined {
  if (!model) return `no model for ${service.key}`;
  const expected = expectedEndpoints(service, slice?.owner === service.key ? slice : undefined);
  for (const port of model.ports) {
    const key = `${port.port}/${port.name}`;
    const got = port.endpoints.map((e) => `${e.address}|${e.port}|${e.health}|${e.zone}|${e.pod ?? ''}`);
    const want = expected.get(key) ?? [];
    if ([...got].sort().join('\n') !== want.join('\n')) {
      return `port ${key}: endpoints [${got.slice(0, 4).join(', ')}${got.length > 4 ? ', ...' : ''}] (${got.length}), expected [${want.slice(0, 4).join(', ')}] (${want.length})`;
    }
    for (let i = 1; i < port.endpoints.length; i++) {
      const [a, b] = [port.endpoints[i - 1]!, port.endpoints[i]!];
      const order = numericAddress(a.address) - numericAddress(b.address);
      if (order > 0n || (order === 0n && a.port > b.port)) return `port ${key}: endpoints not in address order at ${a.address} ${b.address}`;
    }
  }
  return undefined;
}

/** An IP address as a number, for an order check that does not reuse k8s/ip.ts. */
function numericAddress(address: string): bigint {
  if (!address.includes(':')) return address.split('.').reduce((sum, octet) => sum * 256n + BigInt(octet), 0n);
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') && tail !== '' ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.reduce((sum, group) => sum * 65_536n + BigInt(parseInt(group, 16)), 0n);
}
