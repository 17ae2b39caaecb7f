// The protocol core of one ADS stream, whatever its wire format: who the client is, what it
// subscribes to and holds, ACK/NACK bookkeeping, holding requests until its snapshot exists,
// and the push plan. SotwStream and DeltaStream only read requests and write responses.
import { badRequest, describeError } from '../common/errors.ts';
import { shortened } from '../common/text.ts';
import { log } from '../common/log.ts';
import type { envoy } from '../generated/envoy.js';
import type { ClientProfile, NodeClassifier } from './client-profile.ts';
import { checkRequestNames, checkStreamNames, type AdsLimits } from './limits.ts';
import type { AdsObserver, ClientIdentity } from './observer.ts';
import { encodeResource, type Resource } from './resource.ts';
import type { Snapshot, SnapshotChanges } from './snapshot.ts';
import type { StreamStatus } from './stream-status.ts';
import { suggestionsFor } from './suggest.ts';
import { Subscription, type Held } from './subscription.ts';
import { isTypeUrl, pushOrder, TypeUrl, typeShortName } from './types.ts';

type Node = envoy.config.core.v3.INode;

export interface StreamContext {
  readonly id: number;
  readonly peer: string;
  readonly controlPlane?: string;
  readonly classify: NodeClassifier;
  /** The current snapshot of a class, or undefined while the class is not ready. */
  snapshotOf(snapshot: string): Snapshot | undefined;
  /** Returns false when the response was not written (the stream is closed or closing). */
  write(type: TypeUrl, response: Buffer): boolean;
  readonly observer: AdsObserver;
  readonly limits: Pick<AdsLimits, 'maxNamesPerRequest' | 'maxNamesPerStream'>;
}

/** Unresolved names remembered per subscription, and logged per stream: a client asking for 10,000 made-up names costs no more. */
const unresolvedKept = 20;
const unresolvedLogged = 10;

/** What one type's subscription is to receive: resources added or changed, names removed. */
export interface TypePlan {
  readonly subscription: Subscription;
  readonly upserts: ReadonlyMap<string, Resource>;
  readonly removals: ReadonlySet<string>;
  /** A wildcard subscription never answered yet gets an answer even when it is empty. */
  readonly firstAnswer: boolean;
}

/** Names to look at per type; a type left out is not looked at. */
export type Candidates = Map<TypeUrl, Set<string>>;

export abstract class XdsStream {
  protected readonly context: StreamContext;
  readonly #connectedAt = new Date();
  protected readonly subscriptions = new Map<TypeUrl, Subscription>();
  readonly #unknownTypes = new Set<string>();
  #node?: Node;
  #profile?: ClientProfile;
  #nonce = 0;
  #responsesWritten = 0;
  #unresolvedLogged = 0;
  protected staleRequests = 0;

  constructor(context: StreamContext) {
    this.context = context;
  }

  get id(): number {
    return this.context.id;
  }

  /** The client's address: one per connection. */
  get peer(): string {
    return this.context.peer;
  }

  /** The snapshot (client class) this stream is served; undefined until its first request. */
  get snapshotName(): string | undefined {
    return this.#profile?.snapshot;
  }

  /** The node of the first request; undefined before it. */
  get node(): Node | undefined {
    return this.#node;
  }

  /** What the client holds of a type, as far as the server knows: what it was sent and kept. */
  held(type: TypeUrl): ReadonlyMap<string, Held> {
    return this.subscriptions.get(type)?.held ?? new Map();
  }

  abstract readonly protocol: 'sotw' | 'delta';

  /** Decodes and applies one request. Throws a coded BadRequest error when the stream must end. */
  abstract handleRequest(bytes: Buffer): void;

  /** Writes what a plan says, in this wire format. */
  protected abstract writePlan(snapshot: Snapshot, plans: readonly TypePlan[]): void;

  /**
   * Pushes a new snapshot of this stream's class; `changes` undefined means the class just
   * became ready. Returns how many responses were written.
   */
  onSnapshot(snapshot: Snapshot, changes: SnapshotChanges | undefined): number {
    const before = this.#responsesWritten;
    const candidates: Candidates = new Map();
    for (const [type, subscription] of this.subscriptions) {
      const change = changes?.get(type);
      if (!changes) candidates.set(type, subscription.candidates(snapshot.resources(type)));
      else if (change || subscription.owed.size > 0) {
        const names = new Set(change?.changed);
        for (const name of change?.removed ?? []) names.add(name);
        candidates.set(type, names);
      }
    }
    this.respond(snapshot, candidates);
    if (!changes) for (const subscription of this.subscriptions.values()) this.noteUnresolved(subscription, snapshot);
    return this.#responsesWritten - before;
  }

  /** The first request's node identifies the client; later copies are ignored. */
  protected identify(node: Node | null | undefined): void {
    if (this.#node) return;
    if (!node) throw badRequest('the first request on a stream must carry node');
    this.#profile = this.context.classify(node);
    this.#node = node;
    log.info(this.logFields({ protocol: this.protocol }), 'client connected');
  }

  /** Ends the stream (a coded LimitExceeded error) when a request names too many resources. */
  protected checkRequestNames(count: number): void {
    checkRequestNames(this.context.limits, count);
  }

  /** Ends the stream when, after a request, it subscribes to too many names over all types. */
  protected checkSubscribedNames(): void {
    let count = 0;
    for (const subscription of this.subscriptions.values()) count += subscription.names.size;
    checkStreamNames(this.context.limits, count);
  }

  /** The subscription of a request's type, or undefined (and a warning once) for a type not served. */
  protected subscriptionOf(typeUrl: string | null | undefined): Subscription | undefined {
    if (!typeUrl) throw badRequest('type_url is required on an aggregated (ADS) stream');
    if (!isTypeUrl(typeUrl)) {
      if (!this.#unknownTypes.has(typeUrl)) {
        this.#unknownTypes.add(typeUrl);
        log.warn(this.logFields({ typeUrl }), 'ignoring requests for a resource type this server does not serve');
      }
      return undefined;
    }
    let subscription = this.subscriptions.get(typeUrl);
    if (!subscription) {
      subscription = new Subscription(typeUrl, this.#profile!.legacyWildcard);
      this.subscriptions.set(typeUrl, subscription);
    }
    return subscription;
  }

  /** An ACK (the latest nonce, no error) or a NACK (error_detail) of the latest response. */
  protected recordAnswer(subscription: Subscription, nonce: string, error: { code?: number | null; message?: string | null } | null | undefined): void {
    if (error) {
      subscription.nacks++;
      subscription.lastNack = { version: subscription.lastVersionSent ?? '', nonce, code: error.code ?? 0, message: error.message ?? '', at: new Date() };
      this.context.observer.nacked(subscription.type, this.identity(), subscription.lastNack);
      log.warn(this.logFields({ type: typeShortName[subscription.type], version: subscription.lastVersionSent, error: subscription.lastNack.message }), 'client rejected a response (NACK)');
    } else if (nonce !== '' && nonce === subscription.lastNonce) {
      subscription.ackedNonce = nonce;
      subscription.ackedVersion = subscription.lastVersionSent;
    }
  }

  /**
   * Reports, once per stream and name, each name the client asks for that does not exist,
   * with the closest names that do. Names change only with requests, so this runs after
   * each request (and when the class becomes ready), not on every push; `names`: those the
   * request added, when it says.
   */
  protected noteUnresolved(subscription: Subscription, snapshot: Snapshot, names: Iterable<string> = subscription.names): void {
    const current = snapshot.resources(subscription.type);
    for (const name of names) {
      if (subscription.unresolved.size >= unresolvedKept) return;
      if (current.has(name) || subscription.unresolved.has(name) || !subscription.names.has(name)) continue;
      const didYouMean = suggestionsFor(snapshot, subscription.type, name, () => current.keys());
      subscription.unresolved.set(name, didYouMean);
      this.context.observer.unresolved(subscription.type, this.identity(), name, didYouMean);
      if (this.#unresolvedLogged++ < unresolvedLogged) {
        log.warn(this.logFields({ type: typeShortName[subscription.type], name, didYouMean }), 'client asks for a resource that does not exist');
      }
    }
  }

  /** Answers what changed among `candidates`. */
  protected respond(snapshot: Snapshot, candidates: Candidates): void {
    const plans = this.#plan(snapshot, candidates);
    if (plans.some((plan) => plan.upserts.size > 0 || plan.removals.size > 0 || plan.firstAnswer)) this.writePlan(snapshot, plans);
  }

  protected currentSnapshot(): Snapshot | undefined {
    return this.#profile ? this.context.snapshotOf(this.#profile.snapshot) : undefined;
  }

  /** Sends one encoded response for a subscription and records it. */
  protected send(subscription: Subscription, version: string, encode: (nonce: string) => Buffer): void {
    const nonce = (++this.#nonce).toString(36);
    subscription.lastNonce = nonce;
    subscription.lastVersionSent = version;
    subscription.responsesSent++;
    if (this.context.write(subscription.type, encode(nonce))) this.#responsesWritten++;
  }

  /**
   * What each type's subscription should receive, in push order. A resource is sent when the
   * client lacks its version (or is owed it), removed when the client held it and it is no
   * longer wanted or gone. A client that keeps withdrawn resources gets a stand-in instead
   * of a removal. After a cluster is added or changed, its ClusterLoadAssignment is owed to
   * the client again: Envoy warms the cluster until its endpoints arrive, whether they
   * changed or not.
   */
  #plan(snapshot: Snapshot, candidates: Candidates): TypePlan[] {
    const plans: TypePlan[] = [];
    for (const type of pushOrder) {
      const subscription = this.subscriptions.get(type);
      const names = candidates.get(type);
      if (!subscription || !names) continue;
      for (const name of subscription.owed) names.add(name);
      const plan = this.#diff(subscription, snapshot.resources(type), names);
      plans.push(plan);
      if (type === TypeUrl.Cluster) this.#oweEndpointsOf(plan, candidates);
    }
    return plans;
  }

  #diff(subscription: Subscription, current: ReadonlyMap<string, Resource>, names: Iterable<string>): TypePlan {
    const upserts = new Map<string, Resource>();
    const removals = new Set<string>();
    const delta = this.protocol === 'delta';
    for (const name of names) {
      const held = subscription.held.get(name);
      const owed = subscription.owed.has(name);
      const resource = subscription.wants(name) ? (current.get(name) ?? this.#standIn(subscription, name)) : undefined;
      if (resource) {
        if (owed || held?.version !== resource.version) upserts.set(name, resource);
      } else if (held || (delta && (owed || (subscription.names.has(name) && !subscription.toldAbsent.has(name))))) {
        // Delta also says so of a name the client asked for that does not exist.
        removals.add(name);
      }
    }
    return { subscription, upserts, removals, firstAnswer: subscription.wildcard && !subscription.responded };
  }

  /**
   * What a client that keeps withdrawn resources holds for one that is gone: listeners,
   * routes and clusters stay as last sent, a ClusterLoadAssignment becomes empty, so calls
   * fail fast instead of going to pods that left.
   */
  #standIn(subscription: Subscription, name: string): Resource | undefined {
    const held = subscription.held.get(name);
    if (!this.#profile?.retainsWithdrawn || !held || !('any' in held)) return undefined;
    return subscription.type === TypeUrl.Endpoint ? encodeResource(TypeUrl.Endpoint, { cluster_name: name }) : held;
  }

  #oweEndpointsOf(clusters: TypePlan, candidates: Candidates): void {
    const endpoints = this.subscriptions.get(TypeUrl.Endpoint);
    if (!endpoints) return;
    for (const [name, cluster] of clusters.upserts) {
      const edsName = cluster.edsServiceName;
      if (!edsName || !endpoints.wants(edsName) || !endpoints.held.has(edsName)) continue;
      if (clusters.subscription.held.get(name)?.version === cluster.version) continue;
      endpoints.owed.add(edsName);
      const names = candidates.get(TypeUrl.Endpoint) ?? new Set<string>();
      names.add(edsName);
      candidates.set(TypeUrl.Endpoint, names);
    }
  }

  /** Records what a response delivered: the client now holds `upserts` and not `removals`. */
  protected delivered(plan: TypePlan): void {
    const { subscription, upserts, removals } = plan;
    for (const [name, resource] of upserts) {
      subscription.held.set(name, resource);
      subscription.owed.delete(name);
      subscription.toldAbsent.delete(name);
    }
    for (const name of removals) {
      subscription.held.delete(name);
      subscription.owed.delete(name);
      if (subscription.names.has(name)) subscription.toldAbsent.add(name);
    }
  }

  /** The one line logged when the stream ends, whoever ended it; `reason` says how. */
  logEnd(reason: string, level: 'info' | 'warn' | 'error', details?: string): void {
    log[level](this.logFields({ reason, details, durationMs: Date.now() - this.#connectedAt.getTime() }), 'client disconnected');
  }

  status(): StreamStatus {
    return {
      id: this.context.id,
      peer: this.context.peer,
      protocol: this.protocol,
      nodeId: this.#node?.id ?? undefined,
      nodeCluster: this.#node?.cluster ?? undefined,
      userAgent: userAgentOf(this.#node),
      clientFeatures: this.#node?.client_features ?? [],
      nodeClass: this.#profile?.snapshot,
      connectedAt: this.#connectedAt,
      types: pushOrder.flatMap((type) => {
        const subscription = this.subscriptions.get(type);
        if (!subscription) return [];
        const current = this.currentSnapshot()?.resources(type);
        return subscription.status((name) => current?.has(name) ?? false);
      }),
      staleRequests: this.staleRequests,
      unknownTypes: [...this.#unknownTypes],
    };
  }

  /** Who the client is, for the observer. */
  identity(): ClientIdentity {
    return { stream: this.context.id, nodeId: this.#node?.id ?? undefined, protocol: this.protocol, nodeClass: this.#profile?.snapshot, userAgent: userAgentOf(this.#node) };
  }

  protected logFields(extra: Record<string, unknown>): Record<string, unknown> {
    const { id, peer } = this.context;
    // Cut: a client's megabyte node id would otherwise be written on every line of its stream.
    const node = this.#node?.id ? shortened(this.#node.id, 256) : undefined;
    const userAgent = userAgentOf(this.#node);
    return { stream: id, peer, node, class: this.#profile?.snapshot, userAgent: userAgent && shortened(userAgent, 128), ...extra };
  }
}

/** Decodes a request; bytes that are not one end the stream with a clear error. */
export function decodeRequest<T>(type: { decode(bytes: Uint8Array): T }, name: string, bytes: Buffer): T {
  try {
    return type.decode(bytes);
  } catch (error) {
    throw badRequest(`malformed ${name}: ${describeError(error)}`);
  }
}

function userAgentOf(node: Node | undefined): string | undefined {
  if (!node?.user_agent_name) return undefined;
  const version = node.user_agent_version ?? node.user_agent_build_version?.version;
  const versionText = typeof version === 'string' ? version : version ? `${version.major_number}.${version.minor_number}.${version.patch}` : '';
  return versionText ? `${node.user_agent_name}/${versionText}` : node.user_agent_name;
}
