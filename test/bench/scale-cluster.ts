// A large cluster in the fake API server for the scale bench: `count` Services x 10 endpoints,
// one EndpointSlice each, plus the names clients ask for and endpoint generations that a
// client can read back from the addresses it receives.
import { envoy } from '../../generated/envoy.js';
import type { FakeApiServer } from '../support/fake-apiserver.ts';
import { edsName, serviceObject, sliceObject } from './k8s-objects.ts';

export const endpointsPerService = 10;
const targetPort = 8080;
const namespaces = 100;

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
}

export function generatedRef(index: number): ServiceRef {
  return { namespace: `ns-${String(index % namespaces).padStart(2, '0')}`, name: `svc-${String(index).padStart(5, '0')}` };
}

/** A Service that does not exist until the bench creates it. */
export function freshRef(index: number): ServiceRef {
  return { namespace: 'ns-00', name: `fresh-${index}` };
}

/** Every name a proxyless client dialing the Service asks for, by type (docs/design.md §2). */
export function proxylessNames(ref: ServiceRef): { listener: string; route: string; cluster: string } {
  const authority = `${ref.name}.${ref.namespace}.svc.cluster.local:50051`;
  return { listener: authority, route: authority, cluster: edsName(ref.namespace, ref.name) };
}

/**
 * Endpoint addresses of generation `generation` (>= 1) of a changed Service: the first two
 * octets spell it, so any one address received tells which change it belongs to. Generation
 * 0 is the initial state, `10.<index>.x`, which never starts with 200 or more.
 */
export function generationAddresses(generation: number): string[] {
  const a = 200 + (generation >> 8);
  return Array.from({ length: endpointsPerService }, (_, e) => `10.${a}.${generation & 255}.${e + 1}`);
}

function initialAddresses(index: number): string[] {
  return Array.from({ length: endpointsPerService }, (_, e) => `10.${(index >> 8) & 127}.${index & 255}.${e + 1}`);
}

/** The generation an encoded ClusterLoadAssignment carries (0 for the initial state or no endpoints). */
export function generationOf(assignmentBytes: Uint8Array): number {
  const assignment = envoy.config.endpoint.v3.ClusterLoadAssignment.decode(assignmentBytes);
  const address = assignment.endpoints[0]?.lb_endpoints?.[0]?.endpoint?.address?.socket_address?.address;
  const octets = address?.split('.').map(Number);
  if (!octets || octets[1]! < 200) return 0;
  return (octets[1]! - 200) * 256 + octets[2]!;
}

/** Creates Services 0..count-1 and their EndpointSlices. */
export function populate(api: FakeApiServer, count: number): void {
  for (let i = 0; i < count; i++) {
    const { namespace, name } = generatedRef(i);
    api.apply('services', serviceObject(namespace, name));
    api.apply('endpointslices', sliceObject(namespace, name, initialAddresses(i), targetPort));
  }
}

/** Replaces the Service's one EndpointSlice with the addresses of `generation`. */
export function applyGeneration(api: FakeApiServer, ref: ServiceRef, generation: number): void {
  api.apply('endpointslices', sliceObject(ref.namespace, ref.name, generationAddresses(generation), targetPort));
}

/** Creates a Service and its EndpointSlice, as `kubectl apply` and the slice controller do. */
export function createService(api: FakeApiServer, ref: ServiceRef): void {
  api.apply('services', serviceObject(ref.namespace, ref.name));
  api.apply('endpointslices', sliceObject(ref.namespace, ref.name, initialAddresses(0), targetPort));
}
