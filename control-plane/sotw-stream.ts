// One state-of-the-world ADS stream: the protocol rules of docs/design.md §3, applied to the
// requests of one client and to the snapshot changes of its class.
import { badRequest } from '../common/errors.ts';
import { log } from '../common/log.ts';
import type { envoy } from '../generated/envoy.js';
import { classifyNode, retainsWithdrawnResources } from './node-class.ts';
import { encodeResource, type Resource } from './resource.ts';
import { encodeDiscoveryResponse } from './response.ts';
import type { Snapshot, SnapshotChanges } from './snapshot.ts';
import { versionOf } from './snapshot.ts';
import type { StreamStatus } from './stream-status.ts';
import { Subscription } from './subscription.ts';
import type { ClientClass } from '../envoy-config/resource-set.ts';
import { isFullState, isTypeUrl, pushOrder, typeShortName, TypeUrl } from './types.ts';

type DiscoveryRequest = envoy.service.discovery.v3.IDiscoveryRequest;
type Node = envoy.config.core.v3.INode;

export interface StreamContext {
  readonly id: number;
  readonly peer: string;
  readonly controlPlane?: string;
  /** The current snapshot of a class, or undefined while the class is not ready. */
  snapshotOf(nodeClass: ClientClass): Snapshot | undefined;
  /** Returns false when the response was not written (the stream is closed or closing). */
  write(response: Buffer): boolean;
  /** Called for every NACK, so totals outlive the stream. */
  onNack(type: TypeUrl): void;
}

export class SotwStream {
  readonly #context: StreamContext;
  readonly #connectedAt = new Date();
  readonly #subscriptions = new Map<TypeUrl, Subscription>();
  readonly #unknownTypes = new Set<string>();
  #node?: Node;
  #nodeClass?: ClientClass;
  /** Never tell this client that a resource it holds is gone (see retainsWithdrawnResources). */
  #retainWithdrawn = false;
  #nonce = 0;
  #staleRequests = 0;
  #responsesWritten = 0;

  constructor(context: StreamContext) {
    this.#context = context;
  }

  get id(): number {
    return this.#context.id;
  }

  get nodeClass(): ClientClass | undefined {
    return this.#nodeClass;
  }

  /** Throws a coded BadRequest error when the stream must end (the server sends the status). */
  handleRequest(request: DiscoveryRequest): void {
    if (!this.#node) this.#identify(request);
    const typeUrl = request.type_url ?? '';
    if (!typeUrl) throw badRequest('type_url is required on an aggregated (ADS) stream');
    if (!isTypeUrl(typeUrl)) {
      if (!this.#unknownTypes.has(typeUrl)) {
        this.#unknownTypes.add(typeUrl);
        log.warn('ignoring requests for a resource type this server does not serve', this.#logFields({ typeUrl }));
      }
      return;
    }
    let subscription = this.#subscriptions.get(typeUrl);
    if (!subscription) {
      // Only Envoy takes an empty first list as "everything"; gRPC clients always name resources.
      subscription = new Subscription(typeUrl, this.#nodeClass !== 'proxyless');
      this.#subscriptions.set(typeUrl, subscription);
    }
    const nonce = request.response_nonce ?? '';
    if (nonce !== '' && subscription.lastNonce !== undefined && nonce !== subscription.lastNonce) {
      this.#staleRequests++;
      return;
    }
    if (request.error_detail) {
      subscription.nacks++;
      this.#context.onNack(typeUrl);
      subscription.lastNack = {
        version: subscription.lastVersionSent ?? '',
        nonce,
        code: request.error_detail.code ?? 0,
        message: request.error_detail.message ?? '',
        at: new Date(),
      };
      log.warn('client rejected a response (NACK)', this.#logFields({
        type: typeShortName[typeUrl],
        version: subscription.lastVersionSent,
        error: subscription.lastNack.message,
      }));
    } else if (nonce !== '' && nonce === subscription.lastNonce) {
      subscription.ackedVersion = request.version_info ?? '';
    }
    subscription.update(request.resource_names ?? []);
    const snapshot = this.#snapshot();
    if (!snapshot) return; // held until the class is ready; answered from onSnapshot
    if (isFullState(typeUrl)) {
      const resendEndpoints = this.#respondFullState(subscription, snapshot, false);
      if (resendEndpoints.size > 0) this.#respondPartial(TypeUrl.Endpoint, snapshot, resendEndpoints);
    } else {
      this.#respondPartial(typeUrl, snapshot, undefined);
    }
  }

  /**
   * Pushes a new snapshot of this stream's class. Make before break: clusters, endpoints,
   * listeners and routes that were added or changed go out first, in that order, while
   * removed listeners and clusters stay in the full-state responses; only then do listeners
   * and clusters drop what was removed. `changes` undefined means the class just became ready.
   * Returns how many responses were written.
   */
  onSnapshot(snapshot: Snapshot, changes: SnapshotChanges | undefined): number {
    const writtenBefore = this.#responsesWritten;
    let resendEndpoints = new Set<string>();
    for (const type of pushOrder) {
      const subscription = this.#subscriptions.get(type);
      if (!subscription) continue;
      if (isFullState(type)) {
        if (changes && !touches(subscription, changes, type)) continue;
        const resend = this.#respondFullState(subscription, snapshot, true);
        if (type === TypeUrl.Cluster) resendEndpoints = resend;
      } else {
        const extra = type === TypeUrl.Endpoint ? resendEndpoints : [];
        const change = changes?.get(type);
        // Removed names matter only to a client that is sent a stand-in for them.
        const removed = this.#retainWithdrawn ? (change?.removed ?? []) : [];
        const candidates = changes ? [...(change?.changed ?? []), ...removed, ...extra] : undefined;
        if (candidates?.length === 0) continue;
        this.#respondPartial(type, snapshot, candidates);
      }
    }
    for (const type of [TypeUrl.Listener, TypeUrl.Cluster]) {
      const subscription = this.#subscriptions.get(type);
      if (subscription && (!changes || touches(subscription, changes, type))) {
        this.#respondFullState(subscription, snapshot, false);
      }
    }
    return this.#responsesWritten - writtenBefore;
  }

  /** The one line logged when the stream ends, whoever ended it; `reason` says how. */
  logEnd(reason: string, level: 'info' | 'warn' | 'error', details?: string): void {
    log[level]('client disconnected', this.#logFields({ reason, details, durationMs: Date.now() - this.#connectedAt.getTime() }));
  }

  status(): StreamStatus {
    return {
      id: this.#context.id,
      peer: this.#context.peer,
      nodeId: this.#node?.id ?? undefined,
      nodeCluster: this.#node?.cluster ?? undefined,
      userAgent: userAgentOf(this.#node),
      clientFeatures: this.#node?.client_features ?? [],
      nodeClass: this.#nodeClass,
      connectedAt: this.#connectedAt,
      types: pushOrder.flatMap((type) => this.#subscriptions.get(type)?.status() ?? []),
      staleRequests: this.#staleRequests,
      unknownTypes: [...this.#unknownTypes],
    };
  }

  #identify(request: DiscoveryRequest): void {
    if (!request.node) throw badRequest('the first request on a stream must carry node');
    this.#nodeClass = classifyNode(request.node);
    this.#retainWithdrawn = retainsWithdrawnResources(this.#nodeClass);
    this.#node = request.node;
    log.info('client connected', this.#logFields({}));
  }

  #snapshot(): Snapshot | undefined {
    return this.#nodeClass ? this.#context.snapshotOf(this.#nodeClass) : undefined;
  }

  /**
   * Sends every wanted resource when the set differs from what was last sent. With
   * `keepRemoved`, resources sent before but gone from the snapshot stay in the response
   * (the break half of make-before-break comes later). Returns the EDS names of clusters
   * that were added or changed: Envoy warms such a cluster until it gets EDS again.
   */
  #respondFullState(subscription: Subscription, snapshot: Snapshot, keepRemoved: boolean): Set<string> {
    const current = snapshot.resources(subscription.type);
    const wanted = new Map<string, Resource>();
    if (subscription.wildcard) for (const [name, resource] of current) wanted.set(name, resource);
    else for (const name of subscription.names) {
      const resource = current.get(name) ?? (this.#retainWithdrawn ? subscription.sent.get(name) : undefined);
      if (resource) wanted.set(name, resource);
    }
    if (keepRemoved) {
      for (const [name, resource] of subscription.sent) if (!current.has(name)) wanted.set(name, resource);
    }
    const previous = subscription.sent;
    const unchanged = wanted.size === previous.size && [...wanted].every(([n, r]) => previous.get(n)?.version === r.version);
    if (subscription.responded && unchanged) return new Set();
    // A client that named only resources that do not exist yet gets no answer: an empty
    // response would tell it they are deleted, the does-not-exist timer is the gentler path.
    if (!subscription.responded && wanted.size === 0 && !subscription.wildcard) return new Set();

    subscription.sent = wanted;
    this.#send(subscription, versionOf(wanted.values()), [...wanted.values()]);

    const resendEndpoints = new Set<string>();
    if (subscription.type !== TypeUrl.Cluster) return resendEndpoints;
    const endpoints = this.#subscriptions.get(TypeUrl.Endpoint);
    for (const [name, cluster] of wanted) {
      const edsName = cluster.edsServiceName;
      if (!edsName || previous.get(name)?.version === cluster.version || !endpoints?.wants(edsName)) continue;
      endpoints.sent.delete(edsName);
      resendEndpoints.add(edsName);
    }
    return resendEndpoints;
  }

  /** Sends the wanted resources (all, or among `candidates`) whose version the client lacks. */
  #respondPartial(type: TypeUrl, snapshot: Snapshot, candidates: Iterable<string> | undefined): void {
    const subscription = this.#subscriptions.get(type);
    if (!subscription) return;
    const current = snapshot.resources(type);
    const names = candidates ?? (subscription.wildcard ? current.keys() : subscription.names);
    const toSend = new Map<string, Resource>();
    for (const name of names) {
      if (!subscription.wants(name)) continue;
      const resource = current.get(name) ?? this.#standIn(subscription, name);
      if (!resource) continue;
      if (subscription.sent.get(name)?.version !== resource.version) toSend.set(name, resource);
    }
    if (toSend.size === 0) return;
    for (const [name, resource] of toSend) subscription.sent.set(name, resource);
    this.#send(subscription, snapshot.version(type), [...toSend.values()]);
  }

  /**
   * What a client that keeps withdrawn resources gets for one that is gone: listeners,
   * routes and clusters stay as last sent (so nothing is sent), a ClusterLoadAssignment
   * becomes empty, so calls fail fast instead of going to pods that left.
   */
  #standIn(subscription: Subscription, name: string): Resource | undefined {
    if (!this.#retainWithdrawn || subscription.type !== TypeUrl.Endpoint || !subscription.sent.has(name)) return undefined;
    return encodeResource(TypeUrl.Endpoint, { cluster_name: name });
  }

  #send(subscription: Subscription, version: string, resources: Resource[]): void {
    const nonce = (++this.#nonce).toString(36);
    subscription.lastNonce = nonce;
    subscription.lastVersionSent = version;
    subscription.responsesSent++;
    const { controlPlane } = this.#context;
    if (this.#context.write(encodeDiscoveryResponse({ version, type: subscription.type, nonce, resources, controlPlane }))) this.#responsesWritten++;
  }

  #logFields(extra: Record<string, unknown>): Record<string, unknown> {
    const { id, peer } = this.#context;
    return { stream: id, peer, node: this.#node?.id, class: this.#nodeClass, userAgent: userAgentOf(this.#node), ...extra };
  }
}

function touches(subscription: Subscription, changes: SnapshotChanges, type: TypeUrl): boolean {
  const change = changes.get(type);
  if (!change) return false;
  if (subscription.wildcard) return true;
  for (const name of change.changed) if (subscription.names.has(name)) return true;
  for (const name of change.removed) if (subscription.sent.has(name)) return true;
  return false;
}

function userAgentOf(node: Node | undefined): string | undefined {
  if (!node?.user_agent_name) return undefined;
  const version = node.user_agent_version ?? node.user_agent_build_version?.version;
  const versionText = typeof version === 'string' ? version : version ? `${version.major_number}.${version.minor_number}.${version.patch}` : '';
  return versionText ? `${node.user_agent_name}/${versionText}` : node.user_agent_name;
}
