// The incremental wire format (DeltaAggregatedResources) over the protocol core: requests
// subscribe and unsubscribe names, responses carry only what changed, each resource with
// its own version, and removals are said (also of names that do not exist).
import { envoy } from '../generated/envoy.js';
import { encodeDeltaDiscoveryResponse, type DeltaResponseFields } from './response.ts';
import type { Snapshot } from './snapshot.ts';
import type { Subscription } from './subscription.ts';
import type { TypeUrl } from './types.ts';
import { decodeRequest, XdsStream, type Candidates, type TypePlan } from './xds-stream.ts';

const { DeltaDiscoveryRequest } = envoy.service.discovery.v3;

export class DeltaStream extends XdsStream {
  readonly protocol = 'delta';

  handleRequest(bytes: Buffer): void {
    const request = decodeRequest(DeltaDiscoveryRequest, 'DeltaDiscoveryRequest', bytes);
    this.identify(request.node);
    const subscribe = request.resource_names_subscribe ?? [];
    const unsubscribe = request.resource_names_unsubscribe ?? [];
    const initialVersions = Object.entries(request.initial_resource_versions ?? {});
    this.checkRequestNames(subscribe.length + unsubscribe.length + initialVersions.length);
    const type = request.type_url;
    const first = !!type && !this.subscriptions.has(type as TypeUrl);
    const subscription = this.subscriptionOf(type);
    if (!subscription) return;
    // The nonce pairs an ACK or NACK with a response; unlike state of the world, a
    // subscription change is honoured even when its nonce is stale.
    const nonce = request.response_nonce ?? '';
    if (nonce !== '') this.recordAnswer(subscription, nonce, request.error_detail);
    const wasWildcard = subscription.wildcard;
    subscription.applyDelta(subscribe, unsubscribe);
    if (subscribe.length > 0) this.checkSubscribedNames();
    if (first) {
      // A reconnecting client names what it wants and says what it holds of it: only what
      // differs is sent again.
      for (const [name, version] of initialVersions) subscription.held.set(name, { name, version });
    }
    const snapshot = this.currentSnapshot();
    if (!snapshot) return; // held until the class is ready; answered from onSnapshot
    const names = first || (subscription.wildcard && !wasWildcard) ? subscription.candidates(snapshot.resources(subscription.type)) : new Set([...subscribe, ...unsubscribe]);
    names.delete('*');
    this.respond(snapshot, new Map([[subscription.type, names]]) as Candidates);
    if (subscribe.length > 0) this.noteUnresolved(subscription, snapshot, first ? subscription.names : subscribe);
  }

  /** Make before break: additions and changes in push order, then removals in reverse. */
  protected writePlan(snapshot: Snapshot, plans: readonly TypePlan[]): void {
    for (const plan of plans) {
      if (plan.upserts.size === 0 && !(plan.firstAnswer && plan.removals.size === 0)) continue;
      this.delivered({ ...plan, removals: new Set() });
      this.#send(plan.subscription, snapshot, { resources: [...plan.upserts.values()], removed: [] });
    }
    for (const plan of [...plans].reverse()) {
      if (plan.removals.size === 0) continue;
      this.delivered({ ...plan, upserts: new Map() });
      this.#send(plan.subscription, snapshot, { resources: [], removed: [...plan.removals] });
    }
  }

  #send(subscription: Subscription, snapshot: Snapshot, content: Pick<DeltaResponseFields, 'resources' | 'removed'>): void {
    const version = snapshot.version(subscription.type);
    const { controlPlane } = this.context;
    this.send(subscription, version, (nonce) => encodeDeltaDiscoveryResponse({ version, type: subscription.type, nonce, controlPlane, ...content }));
  }
}
