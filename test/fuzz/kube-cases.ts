// Hostile Kubernetes objects: a valid Service or EndpointSlice (kube-objects.ts) broken in
// one way, each with the verdict kube-xds must reach: rejected (the API server would refuse
// it too, and kube-xds checks that field), accepted (legal, however odd), or either (random
// damage: only the bookkeeping is checked).
import type { ObjectKind } from '../../k8s/normalize.ts';
import { commonMutations, type Broken, type Mutation, type Verdict } from './kube-mutation.ts';
import { namespaceName, serviceName, validService, validSlice, type Json, type ServiceExpectation, type SliceExpectation } from './kube-objects.ts';
import { serviceMutations } from './kube-service-mutations.ts';
import { sliceMutations } from './kube-slice-mutations.ts';
import type { Random } from './random.ts';

export interface KubeCase {
  readonly kind: ObjectKind;
  readonly description: string;
  /** Valid objects applied before: the slice's Service, a previous good version of the object. */
  readonly setup: readonly { readonly kind: ObjectKind; readonly object: Json }[];
  readonly object: unknown;
  readonly verdict: Verdict;
  /** For a rejection: the field the error must name (a prefix of it). */
  readonly field?: string;
  /** When accepted: the Service whose model is checked, and the slice that feeds it. */
  readonly service?: ServiceExpectation;
  readonly slice?: SliceExpectation;
}

export function kubeCase(random: Random): KubeCase {
  return random.chance(0.45) ? serviceCase(random) : sliceCase(random);
}

function serviceCase(random: Random): KubeCase {
  const generated = validService(random);
  const object = structuredClone(generated.object);
  const broken = breakWith(random, object, generated.expect, [...commonMutations<ServiceExpectation>(random, 'Service'), ...serviceMutations(random)]);
  const previous = random.chance(0.5) ? [{ kind: 'Service' as const, object: validService(random, refOf(generated.object)).object }] : [];
  return {
    kind: 'Service',
    description: `Service ${generated.expect.key} (${generated.expect.ports.length} ports): ${broken.description}`,
    setup: previous,
    object: 'object' in broken ? broken.object : object,
    verdict: broken.verdict,
    ...(broken.field ? { field: broken.field } : {}),
    service: broken.service ?? generated.expect,
  };
}

function sliceCase(random: Random): KubeCase {
  const owner = validService(random, { namespace: namespaceName(random), name: serviceName(random) });
  const family = random.weighted<() => 'IPv4' | 'IPv6' | 'FQDN'>([[4, () => owner.expect.ipFamily], [1, () => (owner.expect.ipFamily === 'IPv4' ? 'IPv6' : 'IPv4')], [0.3, () => 'FQDN']])();
  const ownerRef = refOf(owner.object);
  const generated = validSlice(random, ownerRef, owner.expect.ports.map((port) => port.name), family);
  const object = structuredClone(generated.object);
  const broken = breakWith(random, object, generated.expect, [...commonMutations<SliceExpectation>(random, 'EndpointSlice'), ...sliceMutations(random, owner)]);
  const previous = random.chance(0.5) ? [{ kind: 'EndpointSlice' as const, object: { ...validSlice(random, ownerRef, owner.expect.ports.map((port) => port.name), family).object, metadata: (generated.object as { metadata: Json }).metadata } }] : [];
  return {
    kind: 'EndpointSlice',
    description: `EndpointSlice of ${owner.expect.key} (${family}, ${generated.expect.endpoints.length} endpoints): ${broken.description}`,
    setup: [{ kind: 'Service', object: owner.object }, ...previous],
    object: 'object' in broken ? broken.object : object,
    verdict: broken.verdict,
    ...(broken.field ? { field: broken.field } : {}),
    service: owner.expect,
    slice: broken.slice ?? generated.expect,
  };
}

function breakWith<T>(random: Random, object: Json, expect: T, mutations: readonly Mutation<T>[]): Broken {
  for (;;) {
    const broken = random.weighted(mutations.map(([weight, apply]) => [weight, apply] as const))(object, expect);
    if (broken) return broken;
  }
}

function refOf(object: Json): { namespace: string; name: string } {
  const metadata = object.metadata as { namespace: string; name: string };
  return { namespace: metadata.namespace, name: metadata.name };
}

