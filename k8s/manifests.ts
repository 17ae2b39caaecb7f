// Service, EndpointSlice, GRPCRoute, HTTPRoute and Gateway objects out of one manifest file: YAML with any number of
// documents (JSON is YAML too), `kind: List` and typed lists (`ServiceList`) unwrapped,
// namespace defaulting to "default" as kubectl does. Other kinds are ignored, so a folder
// can hold whole application manifests. Objects are checked in full here, where the file
// and document are known, so that every rejection names them.
import type { Document, YAMLError } from 'yaml';
import { badObject, ErrorCode, KubeXdsError } from '../common/errors.ts';
import { ObjectReader, preview, type Fields } from './fields.ts';
import { yaml } from './lazy-yaml.ts';
import { readEndpointSlice, readRef, readService, writtenRef } from './normalize.ts';
import { readGateway, readGatewayRef } from './gateways/read-gateway.ts';
import { readRoute, readRouteRef } from './routes/read-route.ts';
import { GATEWAY_API_VERSION, type RouteKind } from './routes/route-record.ts';

export type ManifestKind = 'Service' | 'EndpointSlice' | RouteKind | 'Gateway';

/** Where an object is written; document and item count from 1. */
export interface ManifestPlace {
  readonly file: string;
  readonly document: number;
  /** The item of a List. */
  readonly item?: number;
}

export interface ManifestObject {
  readonly kind: ManifestKind;
  /** `namespace/name`. */
  readonly ref: string;
  /** `kind/namespace/name`: the same key in two places means the same object. */
  readonly key: string;
  readonly place: ManifestPlace;
  readonly object: Readonly<Record<string, unknown>>;
  /** An EndpointSlice without the `kubernetes.io/service-name` label: it belongs to no Service. */
  readonly unowned: boolean;
}

export interface RejectedObject {
  /** KXDS_BAD_OBJECT naming the place, kind, namespace/name and field, in its message and context. */
  readonly error: KubeXdsError;
  /** `kind/namespace/name` when the object could be identified. */
  readonly key?: string;
}

export interface ParsedManifest {
  readonly objects: readonly ManifestObject[];
  readonly rejected: readonly RejectedObject[];
  /** The other kinds the file holds, sorted: ignored. */
  readonly otherKinds: readonly string[];
}

export const manifestKinds: readonly ManifestKind[] = ['Service', 'EndpointSlice', 'GRPCRoute', 'HTTPRoute', 'Gateway'];
const kinds = manifestKinds;
const apiVersions: Record<ManifestKind, string> = {
  Service: 'v1',
  EndpointSlice: 'discovery.k8s.io/v1',
  GRPCRoute: GATEWAY_API_VERSION,
  HTTPRoute: GATEWAY_API_VERSION,
  Gateway: GATEWAY_API_VERSION,
};

export function isRouteKind(kind: ManifestKind): kind is RouteKind {
  return kind === 'GRPCRoute' || kind === 'HTTPRoute';
}

/** "web.yaml document 2", "list.yaml document 1 item 3". */
export function describePlace(place: ManifestPlace): string {
  return `${place.file} document ${place.document}${place.item === undefined ? '' : ` item ${place.item}`}`;
}

/**
 * Throws KXDS_BAD_MANIFEST when the text is not valid YAML: that is all or nothing for a
 * file, since its later documents would be misnumbered.
 */
export function parseManifest(text: string, file: string): ParsedManifest {
  const documents = [...yaml().parseAllDocuments(text)];
  documents.forEach((document, index) => {
    const [error] = document.errors;
    if (error !== undefined) throw unparsable(error, document, { file, document: index + 1 });
  });
  const found: Found = { objects: [], rejected: [], otherKinds: new Set() };
  documents.forEach((document, index) => collect(document.toJS() as unknown, undefined, { file, document: index + 1 }, found));
  return { objects: found.objects, rejected: found.rejected, otherKinds: [...found.otherKinds].sort() };
}

interface Found {
  readonly objects: ManifestObject[];
  readonly rejected: RejectedObject[];
  readonly otherKinds: Set<string>;
}

function unparsable(error: YAMLError, document: Document, place: ManifestPlace): KubeXdsError {
  const problem = error.message.split('\n')[0]!.replace(/:$/, '');
  const guess = guessIdentity(document);
  const [start] = error.linePos ?? [];
  return new KubeXdsError(ErrorCode.BadManifest, `${describePlace(place)}${guess ? ` (${guess.kind} ${guess.object})` : ''}: ${problem}`, {
    ...place,
    ...(start === undefined ? {} : { line: start.line, column: start.col }),
    ...guess,
  });
}

/** Kind and namespace/name from what could be read of a document that does not parse, if anything. */
function guessIdentity(document: Document): { kind: string; object: string } | undefined {
  try {
    const content = document.toJS() as unknown;
    if (!isRecord(content) || typeof content.kind !== 'string') return undefined;
    return { kind: content.kind, object: writtenRef(withDefaultNamespace(content).metadata) };
  } catch {
    return undefined;
  }
}

function collect(content: unknown, impliedKind: string | undefined, place: ManifestPlace, found: Found): void {
  if (content == null) return;
  if (!isRecord(content)) {
    found.rejected.push(rejection(place, badObject(`not a Kubernetes object (a mapping with kind and metadata), got ${preview(content)}`)));
    return;
  }
  const kind = typeof content.kind === 'string' && content.kind !== '' ? content.kind : impliedKind;
  const reader = new ObjectReader(kind ?? 'object', writtenRef(withDefaultNamespace(content).metadata));
  if (kind === undefined) {
    // With metadata it is an object that lost its kind; without, some other YAML (values, an old kustomization).
    if (content.metadata === undefined) found.otherKinds.add('(no kind)');
    else found.rejected.push(rejection(place, reader.error('kind', 'must be set', content.kind)));
    return;
  }
  if (kind.endsWith('List') && Array.isArray(content.items)) {
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    content.items.forEach((item, index) => collect(item, itemKind, { ...place, item: index + 1 }, found));
    return;
  }
  const ours = kinds.find((known) => known === kind);
  if (ours !== undefined) return identify(ours, content, place, found);
  const meant = kinds.find((known) => known.toLowerCase() === kind.toLowerCase());
  if (meant === undefined) found.otherKinds.add(kind);
  else found.rejected.push(rejection(place, reader.error('kind', `must be spelled ${meant} (kinds are case-sensitive)`, kind)));
}

function identify(kind: ManifestKind, fields: Fields, place: ManifestPlace, found: Found): void {
  const object = withDefaultNamespace(fields);
  let key: string | undefined;
  try {
    const { namespace, name } = isRouteKind(kind) ? readRouteRef(kind, object) : kind === 'Gateway' ? readGatewayRef(object) : readRef(kind, object);
    const ref = `${namespace}/${name}`;
    key = `${kind}/${ref}`;
    if (fields.apiVersion !== undefined && fields.apiVersion !== apiVersions[kind]) {
      new ObjectReader(kind, ref).fail('apiVersion', `must be ${apiVersions[kind]} (no other version is supported)`, fields.apiVersion);
    }
    if (kind === 'Service') readService(object);
    if (isRouteKind(kind)) readRoute(kind, object);
    if (kind === 'Gateway') readGateway(object);
    const unowned = kind === 'EndpointSlice' && readEndpointSlice(object).serviceName === undefined;
    found.objects.push({ kind, ref, key, place, object, unowned });
  } catch (error) {
    if (!(error instanceof KubeXdsError)) throw error;
    found.rejected.push(rejection(place, error, key));
  }
}

function rejection(place: ManifestPlace, error: KubeXdsError, key?: string): RejectedObject {
  const located = badObject(`${describePlace(place)}: ${error.message}`, { ...place, ...error.context });
  return key === undefined ? { error: located } : { error: located, key };
}

function withDefaultNamespace(fields: Fields): Fields {
  const metadata = fields.metadata;
  if (!isRecord(metadata) || metadata.namespace != null) return fields;
  return { ...fields, metadata: { ...metadata, namespace: 'default' } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
