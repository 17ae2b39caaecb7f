// Envoy's listeners and RouteConfigurations for one client class, kept up to date a Service
// at a time from the virtual hosts each Service's state holds: a change touches the
// RouteConfigurations of that Service's ports, and a listener only when a RouteConfiguration
// that is not fixed appears or goes (the sidecar's, per port number).
import { encodeResource, type Resource } from '../control-plane/resource.ts';
import { TypeUrl } from '../control-plane/types.ts';
import type { EnvoyRoutingLayout } from '../envoy-config/envoy-routing.ts';
import { RouteTable } from './route-table.ts';
import type { EncodedVirtualHost } from './virtual-host-bytes.ts';

export interface RoutingPatch {
  readonly upserts: Resource[];
  readonly removals: string[];
}

export interface RoutingChanges {
  readonly listeners: RoutingPatch;
  readonly routes: RoutingPatch;
}

interface Entry {
  readonly table: RouteTable;
  /** The port number of its hosts, for its listeners. */
  readonly port: number;
  /** Its resource as last returned by changes(). */
  published?: Resource;
}

export class RoutingTables {
  readonly #layout: EnvoyRoutingLayout;
  readonly #fixed: ReadonlySet<string>;
  readonly #fixedListeners: readonly Resource[];
  readonly #tables = new Map<string, Entry>();
  /** The listeners of each RouteConfiguration that is not fixed, while it exists. */
  readonly #listeners = new Map<string, readonly Resource[]>();
  /** Each Service's virtual hosts, by Service key (a Gateway's, by its change key). */
  readonly #placed = new Map<string, readonly EncodedVirtualHost[]>();
  /** RouteConfigurations touched since the last changes(). */
  readonly #touched = new Set<string>();

  constructor(layout: EnvoyRoutingLayout) {
    this.#layout = layout;
    this.#fixed = new Set(layout.fixedRouteConfigs);
    this.#fixedListeners = layout.fixedListeners().map((listener) => encodeResource(TypeUrl.Listener, listener));
    for (const name of layout.fixedRouteConfigs) {
      this.#tables.set(name, { table: new RouteTable(name), port: 0 });
      this.#touched.add(name);
    }
  }

  /** Puts a Service's virtual hosts in place of those it had; none when it is gone. */
  place(key: string, hosts: readonly EncodedVirtualHost[] = []): void {
    const before = this.#placed.get(key) ?? [];
    if (before === hosts) return;
    // A host kept by name may move to another RouteConfiguration (a Gateway listener's port changed).
    const kept = new Map(hosts.map((host) => [host.name, this.#routeConfigOf(host)]));
    for (const host of before) if (kept.get(host.name) !== this.#routeConfigOf(host)) this.#entryOf(host).table.delete(host.name);
    for (const host of hosts) this.#entryOf(host).table.set(host);
    if (hosts.length > 0) this.#placed.set(key, hosts);
    else this.#placed.delete(key);
  }

  /** The listeners and RouteConfigurations added, changed or removed since the last call. */
  changes(): RoutingChanges {
    const listeners: RoutingPatch = { upserts: [], removals: [] };
    const routes: RoutingPatch = { upserts: [], removals: [] };
    for (const name of this.#touched) {
      const entry = this.#tables.get(name);
      if (!entry) continue;
      if (entry.table.size === 0 && !this.#fixed.has(name)) {
        this.#tables.delete(name);
        routes.removals.push(name);
        listeners.removals.push(...(this.#listeners.get(name) ?? []).map((listener) => listener.name));
        this.#listeners.delete(name);
        continue;
      }
      if (!this.#fixed.has(name) && !this.#listeners.has(name)) {
        const added = this.#layout.listenersOf(name, entry.port).map((listener) => encodeResource(TypeUrl.Listener, listener));
        this.#listeners.set(name, added);
        listeners.upserts.push(...added);
      }
      const resource = entry.table.resource();
      if (resource !== entry.published) routes.upserts.push(resource);
      entry.published = resource;
    }
    this.#touched.clear();
    return { listeners, routes };
  }

  /** Every listener and RouteConfiguration, as they are after changes(). */
  resources(): { listeners: Resource[]; routes: Resource[] } {
    this.changes();
    return {
      listeners: [...this.#fixedListeners, ...[...this.#listeners.values()].flat()],
      routes: [...this.#tables.values()].map((entry) => entry.published!),
    };
  }

  #routeConfigOf(host: EncodedVirtualHost): string {
    return this.#layout.routeConfigOf(host.port, host.gatewayListener);
  }

  #entryOf(host: EncodedVirtualHost): Entry {
    const name = this.#routeConfigOf(host);
    let entry = this.#tables.get(name);
    if (!entry) {
      entry = { table: new RouteTable(name), port: host.port };
      this.#tables.set(name, entry);
    }
    this.#touched.add(name);
    return entry;
  }
}
