// `kube-xds status` as a table, in the spirit of `istioctl proxy-status`: one row per
// connected client with its sync state per type, then one line per NACK and per name a
// client asks for that does not exist.
import { styleText } from 'node:util';
import { compareText } from '../common/compare.ts';
import type { StreamStatus, SyncState } from '../control-plane/stream-status.ts';
import type { TypeUrl } from '../control-plane/types.ts';

/** A value as JSON.parse gives it back: Dates are ISO strings. */
export type Jsonified<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? readonly Jsonified<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Jsonified<T[K]> }
      : T;

/** One client as `/debug/clients` sends it. */
export type ClientStatus = Jsonified<StreamStatus>;

/**
 * The type columns, in push order. control-plane/types.ts has these names too, but loading
 * it loads the generated protos, which a command that only reads JSON does not need.
 */
export const typeColumns = [
  ['CDS', 'type.googleapis.com/envoy.config.cluster.v3.Cluster'],
  ['EDS', 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment'],
  ['LDS', 'type.googleapis.com/envoy.config.listener.v3.Listener'],
  ['RDS', 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration'],
] as const satisfies readonly (readonly [string, TypeUrl])[];

const shortName = new Map<string, string>(typeColumns.map(([name, url]) => [url, name]));

const stateText: Record<SyncState, string> = { SYNCED: 'SYNCED', STALE: 'STALE', NACKED: 'NACKED', NOT_SENT: 'NOT SENT' };
const stateStyle: Record<SyncState, Parameters<typeof styleText>[0]> = { SYNCED: 'green', STALE: 'yellow', NACKED: 'red', NOT_SENT: 'dim' };

/** A type the client never asked for. */
const notSubscribed = '-';

export interface TableOptions {
  /** For the CONNECTED ages. */
  readonly now: Date;
  /** Colour the states (only when writing to a terminal). */
  readonly colour: boolean;
}

interface Cell {
  readonly text: string;
  readonly style?: Parameters<typeof styleText>[0];
}

/** The table and the notes below it, each line ending in a newline. */
export function statusTable(clients: readonly ClientStatus[], { now, colour }: TableOptions): string {
  const sorted = [...clients].sort((a, b) => compareText(a.nodeId ?? '', b.nodeId ?? '') || a.id - b.id);
  const header: Cell[] = ['NODE', 'USER AGENT', 'CLASS', 'PROTOCOL', 'CONNECTED', ...typeColumns.map(([name]) => name)].map((text) => ({ text }));
  const rows = sorted.map((client): Cell[] => [
    { text: nodeName(client) },
    { text: client.userAgent ?? '-' },
    { text: client.nodeClass ?? '-' },
    { text: client.protocol },
    { text: age(now.getTime() - Date.parse(client.connectedAt)) },
    ...typeColumns.map(([, url]): Cell => {
      const status = client.types.find((type) => type.type === url);
      return status ? { text: stateText[status.sync] ?? status.sync, style: stateStyle[status.sync] } : { text: notSubscribed };
    }),
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => row[column]!.text.length)));
  const line = (row: Cell[]) =>
    row
      .map((cell, column) => {
        const padded = column === row.length - 1 ? cell.text : cell.text.padEnd(widths[column]!);
        return colour && cell.style ? styleText(cell.style, padded, { validateStream: false }) : padded;
      })
      .join('   ');
  const lines = [header, ...rows].map(line);
  const notes = sorted.flatMap(notesOf);
  if (notes.length > 0) lines.push('', ...notes);
  return lines.map((text) => `${text}\n`).join('');
}

function nodeName(client: ClientStatus): string {
  return client.nodeId || '(no node id)';
}

/** One line per rejected latest response and per name that does not exist. */
function notesOf(client: ClientStatus): string[] {
  const notes: string[] = [];
  for (const status of client.types) {
    const type = shortName.get(status.type) ?? status.type;
    if (status.sync === 'NACKED' && status.lastNack) {
      const message = status.lastNack.message.replace(/\s+/g, ' ').trim() || '(no message)';
      notes.push(`node ${nodeName(client)} rejected ${type} version ${status.lastNack.version}: ${message}`);
    }
    for (const { name, didYouMean } of status.unresolved) {
      const suggestion = didYouMean.length > 0 ? `; did you mean ${alternatives(didYouMean.map((candidate) => `\`${candidate}\``))}?` : '';
      notes.push(`node ${nodeName(client)} asks for ${type} \`${name}\`: no such resource${suggestion}`);
    }
  }
  return notes;
}

function alternatives(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

/** 42s, 5m12s, 3h4m, 2d5h: the two largest units, as kubectl shows ages. */
export function age(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${seconds % 60}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d${hours % 24}h`;
}
