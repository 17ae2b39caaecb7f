// What kube-cases.ts builds cases from: the verdicts, and the mutations both kinds share (the
// object itself, metadata, name, namespace, labels, unread fields, and random damage).
import type { ObjectKind } from '../../k8s/normalize.ts';
import { chaosValue, deeplyNested } from './hostile-values.ts';
import type { Json, ServiceExpectation, SliceExpectation } from './kube-objects.ts';
import type { Random } from './random.ts';

export type Verdict = 'accepted' | 'rejected' | 'either';

/** How a mutation left the object, and what kube-xds must make of it. */
export interface Broken {
  readonly description: string;
  readonly verdict: Verdict;
  readonly field?: string;
  /** The object as broken, when not the (mutated) clone itself. */
  readonly object?: unknown;
  /** Accepted with a different model than the valid object's. */
  readonly service?: ServiceExpectation;
  readonly slice?: SliceExpectation;
}

/**
 * A weight and a mutation of a clone of a valid object. It returns undefined, leaving the
 * object as it was, when it does not apply to this object.
 */
export type Mutation<T> = [weight: number, apply: (object: Json, expect: T) => Broken | undefined];

export const rejected = (description: string, field?: string): Broken => ({ description, verdict: 'rejected', ...(field ? { field } : {}) });
export const accepted = (description: string, model: Partial<Pick<Broken, 'service' | 'slice'>> = {}): Broken => ({ description, verdict: 'accepted', ...model });
const either = (description: string): Broken => ({ description, verdict: 'either' });

/** A value of the wrong type for a field that wants a string. */
export function notAString(random: Random): unknown {
  return random.pick<unknown>([7, -1.5, true, [], ['a'], { a: 1 }]);
}

/** A value for a port number that `legal` refuses, or undefined if `random` drew a legal one. */
export function badPortNumber(random: Random, legal: (value: unknown) => boolean, odd: unknown): { value: unknown } | undefined {
  const value = random.pick<unknown>([undefined, null, 0, -1, 65_536, 1.5, '80', odd, true, [80], {}, 2 ** 53]);
  return legal(value) ? undefined : { value };
}

export const isPortNumber = (value: unknown): boolean => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;

export const badLabels = ['Web', 'web_1', '-web', 'web-', 'a.b', 'wéb', 'web\n', ' web', 'a'.repeat(64), 'WEB'];

/** Mutations of what both kinds share: the object itself, metadata, name, namespace, labels; and random damage. */
export function commonMutations<T>(random: Random, kind: ObjectKind): Mutation<T>[] {
  const badNames = kind === 'Service' ? [...badLabels, '1web'] : ['Web', 'a_b', '-a', 'a-', 'a..b', 'é', 'a.', 'a'.repeat(254)];
  return [
    [1, () => ({ ...rejected('the object is not an object'), object: random.pick([null, 'Service', 42, [], [{ metadata: {} }], true]) })],
    [1, (object) => {
      object.metadata = random.pick([undefined, null, 'meta', 7, []]);
      return rejected(`metadata is ${JSON.stringify(object.metadata)}`, 'metadata');
    }],
    [3, (object) => {
      const metadata = object.metadata as Json;
      metadata.name = random.pick<unknown>([undefined, null, '', 7, ['web'], {}, ...badNames, 'x'.repeat(1_000_000)]);
      return rejected(`metadata.name is ${String(JSON.stringify(metadata.name)).slice(0, 40)}`, 'metadata.name');
    }],
    [2, (object) => {
      const metadata = object.metadata as Json;
      metadata.namespace = random.pick<unknown>([undefined, null, '', 7, 'Default', 'a.b', 'a'.repeat(64), 'ns_1']);
      return rejected(`metadata.namespace is ${JSON.stringify(metadata.namespace)}`, 'metadata.namespace');
    }],
    [2, (object) => {
      const metadata = object.metadata as Json;
      if (random.chance(0.3)) {
        metadata.labels = random.pick(['app=web', 7, ['app']]);
        return rejected(`labels are ${JSON.stringify(metadata.labels)}`, 'metadata.labels');
      }
      const key = kind === 'EndpointSlice' && random.chance(0.5) ? 'kubernetes.io/service-name' : random.pick(['app', '__proto__', 'constructor']);
      metadata.labels = Object.assign(Object.create(null) as Json, metadata.labels as Json, { [key]: notAString(random) });
      return rejected(`label ${key} is not a string`, 'metadata.labels');
    }],
    [2, (object) => {
      // Fields the model does not read may hold anything.
      const value = chaosValue(random, 3);
      const target = random.pick(['metadata.finalizers', 'metadata.managedFields', 'metadata.ownerReferences', 'status', 'x-unknown']);
      if (target.startsWith('metadata.')) (object.metadata as Json)[target.slice('metadata.'.length)] = value;
      else object[target] = value;
      return accepted(`unread field ${target} holds ${JSON.stringify(value)?.slice(0, 40)}`);
    }],
    [3, (object) => {
      const [parent, key] = randomSlot(random, object);
      parent[key] = chaosValue(random, 2);
      return either(`${key} replaced with ${JSON.stringify(parent[key])?.slice(0, 40)}`);
    }],
    [2, (object) => {
      let count = 0;
      for (const [parent, key] of allSlots(object)) {
        if (random.chance(0.3)) {
          parent[key] = null;
          count++;
        }
      }
      return either(`${count} fields set to null`);
    }],
    [1, (object) => {
      const [parent, key] = randomSlot(random, object);
      if (Array.isArray(parent)) return undefined;
      delete parent[key];
      return either(`${key} deleted`);
    }],
    [1, (object) => {
      const [parent, key] = randomSlot(random, object);
      parent[key] = deeplyNested(random.pick([100, 10_000, 200_000]), random.chance(0.5));
      return either(`${key} nested deep`);
    }],
  ];
}

/** Every (object or array, key) slot under `root`, breadth first, sampling long lists. */
function allSlots(root: Json): [Record<string | number, unknown>, string | number][] {
  const slots: [Record<string | number, unknown>, string | number][] = [];
  const pending: unknown[] = [root];
  while (pending.length > 0 && slots.length < 5_000) {
    const value = pending.shift();
    if (typeof value !== 'object' || value === null) continue;
    const keys: (string | number)[] = Array.isArray(value) ? [...Array(Math.min(value.length, 20)).keys()] : Object.keys(value);
    for (const key of keys) {
      slots.push([value as Record<string | number, unknown>, key]);
      pending.push((value as Record<string | number, unknown>)[key]);
    }
  }
  return slots;
}

function randomSlot(random: Random, root: Json): [Record<string | number, unknown>, string | number] {
  const slots = allSlots(root);
  return slots.length > 0 ? random.pick(slots) : [root, 'spec'];
}
