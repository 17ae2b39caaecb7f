// The state-of-the-world wire format (StreamAggregatedResources) over the protocol core: a
// request replaces a type's subscription; listeners and clusters are always sent in full.
import { envoy } from '../generated/envoy.js';
import type { Resource } from './resource.ts';
import { encodeDiscoveryResponse } from './response.ts';
import { versionOf, type Snapshot } from './snapshot.ts';
import { isFullState } from './types.ts';
import { decodeRequest, XdsStream, type TypePlan } from './xds-stream.ts';

const { DiscoveryRequest } = envoy.service.discovery.v3;

export class SotwStream extends XdsStream {
  readonly protocol = 'sotw';

  handleRequest(bytes: Buffer): void {
    const request = decodeRequest(DiscoveryRequest, 'DiscoveryRequest', bytes);
    this.identify(request.node);
    this.checkRequestNames(request.resource_names?.length ?? 0);
    const subscription = this.subscriptionOf(request.type_url);
    if (!subscription) return;
    const nonce = request.response_nonce ?? '';
    if (nonce !== '' && subscription.lastNonce !== undefined && nonce !== subscription.lastNonce) {
      this.staleRequests++;
      return;
    }
    this.recordAnswer(subscription, nonce, request.error_detail);
    const changed = subscription.replace(request.resource_names ?? []);
    if (changed) this.checkSubscribedNames();
    if (!changed && subscription.responded && subscription.owed.size === 0) return; // an ACK, and the pushes owe it nothing
    const snapshot = this.currentSnapshot();
    if (!snapshot) return; // held until the class is ready; answered from onSnapshot
    // An ACK of what the client was sent leaves only what it is owed to look at: the pushes
    // already delivered every change, and a wildcard over 10,000 clusters is not scanned again.
    const names = changed || !subscription.responded ? subscription.candidates(snapshot.resources(subscription.type)) : new Set<string>();
    this.respond(snapshot, new Map([[subscription.type, names]]));
    if (changed) this.noteUnresolved(subscription, snapshot);
  }

  /**
   * Make before break: added and changed resources go out first, in push order, while the
   * full-state responses of listeners and clusters still carry what is being removed; only
   * then do they drop it. Routes and endpoints have no way to say "removed" here.
   */
  protected writePlan(snapshot: Snapshot, plans: readonly TypePlan[]): void {
    for (const plan of plans) {
      const { subscription, upserts } = plan;
      if (isFullState(subscription.type)) {
        if (upserts.size === 0 && !plan.firstAnswer) continue;
        this.delivered({ ...plan, removals: new Set() });
        this.#sendFull(plan);
      } else {
        this.delivered(plan);
        if (upserts.size > 0) this.#send(plan, snapshot.version(subscription.type), [...upserts.values()]);
      }
    }
    for (let i = plans.length - 1; i >= 0; i--) {
      const plan = plans[i]!;
      if (!isFullState(plan.subscription.type) || ![...plan.removals].some((name) => plan.subscription.held.has(name))) continue;
      this.delivered({ ...plan, upserts: new Map() });
      this.#sendFull(plan);
    }
  }

  /** Everything the client holds of a listener or cluster subscription. */
  #sendFull(plan: TypePlan): void {
    const resources = [...plan.subscription.held.values()] as Resource[];
    this.#send(plan, versionOf(resources), resources);
  }

  #send({ subscription }: TypePlan, version: string, resources: readonly Resource[]): void {
    const { controlPlane } = this.context;
    this.send(subscription, version, (nonce) => encodeDiscoveryResponse({ version, type: subscription.type, nonce, resources, controlPlane }));
  }
}
