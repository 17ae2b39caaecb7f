// What the k8s stage keeps of a Gateway once it is checked: its class and listeners as
// written. gateway-join.ts attaches Routes to the listeners; gateway-status.ts says what
// became of them.
import type { RouteKind } from '../routes/route-record.ts';

export type AllowedNamespaces = 'Same' | 'All' | 'Selector';

export interface ListenerRecord {
  /** Its index in spec.listeners. */
  readonly index: number;
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  /** Absent: any hostname. Exact (`a.example.com`) or a wildcard (`*.example.com`). */
  readonly hostname?: string;
  readonly namespaces: AllowedNamespaces;
  /** The Route kinds it accepts (allowedRoutes.kinds of this group; default for HTTP: both). */
  readonly kinds: readonly RouteKind[];
  /** allowedRoutes.kinds named that kube-xds does not serve (`group/Kind`). */
  readonly invalidKinds: readonly string[];
}

export interface GatewayRecord {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly gatewayClassName: string;
  /** metadata.generation (0 when unset). */
  readonly generation: number;
  readonly listeners: readonly ListenerRecord[];
}
