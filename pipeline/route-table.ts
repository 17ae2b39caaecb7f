// One of Envoy's RouteConfigurations kept as encoded virtual hosts, sorted by name, and
// served as their concatenation (a RouteConfiguration is its name field followed by one
// virtual_hosts element per host): responses copy the hosts' bytes as they are, never an
// assembled whole. A change costs the hosts it touches: their own bytes, and the bytes of
// the hosts whose domains it takes or gives back (a domain two hosts claim goes to neither,
// unless one Gateway listener's host claims it: see envoy-config/envoy-routes.ts). Its version comes from the hosts' digests, kept as a
// sum, instead of hashing megabytes.
import { compareText } from '../common/compare.ts';
import { resourceFromFields, type Resource } from '../control-plane/resource.ts';
import { TypeUrl } from '../control-plane/types.ts';
import { envoy } from '../generated/envoy.js';
import { digestOf, virtualHostField, type EncodedVirtualHost } from './virtual-host-bytes.ts';

interface Host {
  encoded: EncodedVirtualHost;
  /** How many of its claims are on domains claimed more than once (it has all its candidates when none). */
  contested: number;
  /** Its virtual_hosts element with its settled domains; undefined until first settled. */
  field?: Uint8Array;
  /** The field's digest; 0 until first settled. */
  digest: bigint;
  /** In #sorted (not only in #added). */
  sorted: boolean;
}

const noField = new Uint8Array(0);
/** Digests are 128 bits. */
const digestMask = (1n << 128n) - 1n;
/** Past this many additions or removals in one batch, the order is rebuilt whole rather than spliced. */
const spliceLimit = 32;

export class RouteTable {
  readonly name: string;
  /** The fields before virtual_hosts: the name. */
  readonly #head: Uint8Array;
  readonly #hosts = new Map<string, Host>();
  #sorted: Host[] = [];
  #added: Host[] = [];
  readonly #removed = new Set<Host>();
  /** Each domain's claimants: one host, or several (a host that claims it twice is there twice). */
  readonly #claims = new Map<string, Host | Host[]>();
  /** Hosts whose bytes may have changed. */
  readonly #unsettled = new Set<Host>();
  /** Sum of the hosts' digests modulo 2^128. */
  #sum = 0n;
  #resource?: Resource;

  constructor(name: string) {
    this.name = name;
    this.#head = new Uint8Array(envoy.config.route.v3.RouteConfiguration.encode({ name }).finish());
  }

  get size(): number {
    return this.#hosts.size;
  }

  /** Adds a host, or replaces the one of the same name. */
  set(encoded: EncodedVirtualHost): void {
    let host = this.#hosts.get(encoded.name);
    if (host?.encoded === encoded) return;
    if (host) {
      for (const domain of host.encoded.candidates) this.#release(domain, host);
      host.encoded = encoded;
    } else {
      host = { encoded, contested: 0, digest: 0n, sorted: false };
      this.#hosts.set(encoded.name, host);
      this.#added.push(host);
    }
    for (const domain of encoded.candidates) this.#claim(domain, host);
    this.#unsettled.add(host);
  }

  delete(name: string): void {
    const host = this.#hosts.get(name);
    if (!host) return;
    this.#hosts.delete(name);
    for (const domain of host.encoded.candidates) this.#release(domain, host);
    if (host.sorted) this.#removed.add(host);
    else this.#added.splice(this.#added.indexOf(host), 1);
    this.#sum = (this.#sum - host.digest) & digestMask;
    this.#resource = undefined;
  }

  /** The RouteConfiguration; the same object while nothing changed. */
  resource(): Resource {
    this.#settle();
    this.#resource ??= resourceFromFields(TypeUrl.Route, this.name, [this.#head, ...this.#sorted.map((host) => host.field!)], `${this.#hosts.size}:${this.#sum.toString(36)}`);
    return this.#resource;
  }

  /**
   * The host's element with these domains; none at all when it has none left (only a
   * Gateway's host can lose every domain: Envoy refuses a virtual host without one).
   */
  #fieldWith(encoded: EncodedVirtualHost, domains: readonly string[]): Uint8Array {
    return domains.length === 0 ? noField : virtualHostField(encoded, domains);
  }

  /** Who gets a domain: its one claimant, or the one Gateway listener's host among several. */
  #winner(domain: string): Host | undefined {
    const claimants = this.#claims.get(domain);
    if (!Array.isArray(claimants)) return claimants;
    const gateways = claimants.filter((claimant) => claimant.encoded.gatewayListener);
    return gateways.length === 1 ? gateways[0] : undefined;
  }

  /** A Gateway host coming or going can change which other Gateway host wins a shared domain. */
  #unsettleGatewayClaimants(domain: string, host: Host): void {
    if (!host.encoded.gatewayListener) return; // a Service's host: no lookup on every claim
    const claimants = this.#claims.get(domain);
    if (!Array.isArray(claimants)) return;
    for (const claimant of claimants) if (claimant.encoded.gatewayListener) this.#unsettled.add(claimant);
  }

  #claim(domain: string, host: Host): void {
    this.#claimOnly(domain, host);
    this.#unsettleGatewayClaimants(domain, host);
  }

  #claimOnly(domain: string, host: Host): void {
    const claimants = this.#claims.get(domain);
    if (!claimants) this.#claims.set(domain, host);
    else if (Array.isArray(claimants)) {
      claimants.push(host);
      host.contested++;
    } else {
      this.#claims.set(domain, [claimants, host]);
      claimants.contested++;
      host.contested++;
      this.#unsettled.add(claimants); // loses the domain
    }
  }

  #release(domain: string, host: Host): void {
    this.#releaseOnly(domain, host);
    this.#unsettleGatewayClaimants(domain, host);
  }

  #releaseOnly(domain: string, host: Host): void {
    const claimants = this.#claims.get(domain);
    if (claimants === host) this.#claims.delete(domain);
    else if (Array.isArray(claimants)) {
      claimants.splice(claimants.indexOf(host), 1);
      host.contested--;
      if (claimants.length === 1) {
        const remaining = claimants[0]!;
        this.#claims.set(domain, remaining);
        remaining.contested--;
        this.#unsettled.add(remaining); // gets the domain back
      }
    }
  }

  #settle(): void {
    this.#reorder();
    for (const host of this.#unsettled) {
      if (this.#hosts.get(host.encoded.name) !== host) continue; // deleted since
      const { encoded } = host;
      const field = host.contested === 0 ? encoded.field : this.#fieldWith(encoded, encoded.candidates.filter((domain) => this.#winner(domain) === host));
      const digest = field === encoded.field ? encoded.digest : digestOf(field);
      if (digest === host.digest) continue;
      this.#sum = (this.#sum - host.digest + digest) & digestMask;
      host.field = field;
      host.digest = digest;
      this.#resource = undefined;
    }
    this.#unsettled.clear();
  }

  #reorder(): void {
    if (this.#removed.size === 0 && this.#added.length === 0) return;
    if (this.#removed.size > spliceLimit) this.#sorted = this.#sorted.filter((host) => !this.#removed.has(host));
    else for (const host of this.#removed) this.#sorted.splice(this.#indexOf(host.encoded.name), 1);
    for (const host of this.#added) host.sorted = true;
    if (this.#added.length > spliceLimit) this.#sorted = this.#sorted.concat(this.#added).sort((a, b) => compareText(a.encoded.name, b.encoded.name));
    else for (const host of this.#added) this.#sorted.splice(this.#indexOf(host.encoded.name), 0, host);
    this.#removed.clear();
    this.#added = [];
    this.#resource = undefined;
  }

  /** Where `name` is in #sorted, or would be inserted. */
  #indexOf(name: string): number {
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareText(this.#sorted[middle]!.encoded.name, name) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
