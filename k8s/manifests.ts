// Service and EndpointSlice objects out of one manifest file: YAML with any number of
// documents (JSON is YAML too), `kind: List` and typed lists (`ServiceList`) unwrapped,
// namespace defaulting to "default" as kubectl does. Other kinds are ignored, so a folder
// can hold whole application manifests.
import { parseAllDocuments } from 'yaml';
import { badObject, ErrorCode, KubeXdsError } from '../common/errors.ts';
import { readRef } from './normalize.ts';

export type ManifestKind = 'Service' | 'EndpointSlice';

export interface ManifestObject {
  readonly kind: ManifestKind;
  /** `kind/namespace/name`: the same key in two files means the same object. */
  readonly key: string;
  readonly object: Readonly<Record<string, unknown>>;
}

export interface ParsedManifest {
  readonly objects: readonly ManifestObject[];
  /** Objects of our kinds that cannot even be identified or have an unsupported apiVersion. */
  readonly rejected: readonly KubeXdsError[];
}

const apiVersions: Record<ManifestKind, string> = { Service: 'v1', EndpointSlice: 'discovery.k8s.io/v1' };

/** Throws KXDS_BAD_MANIFEST when the text is not valid YAML; that is all or nothing for a file. */
export function parseManifest(text: string, file: string): ParsedManifest {
  const documents = parseAllDocuments(text);
  const contents = [...documents].map((document) => {
    const [error] = document.errors;
    if (error !== undefined) {
      throw new KubeXdsError(ErrorCode.BadManifest, `${file}: ${error.message.split('\n')[0]}`, { file });
    }
    return document.toJS() as unknown;
  });
  const objects: ManifestObject[] = [];
  const rejected: KubeXdsError[] = [];
  contents.forEach((content, index) => collect(content, undefined, `${file} document ${index + 1}`, objects, rejected));
  return { objects, rejected };
}

function collect(content: unknown, impliedKind: string | undefined, where: string, objects: ManifestObject[], rejected: KubeXdsError[]): void {
  if (content == null) return;
  if (typeof content !== 'object' || Array.isArray(content)) {
    rejected.push(badObject(`${where} is not a Kubernetes object`, { where }));
    return;
  }
  const fields = content as Record<string, unknown>;
  const kind = typeof fields.kind === 'string' ? fields.kind : impliedKind;
  if (kind?.endsWith('List') && Array.isArray(fields.items)) {
    const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
    fields.items.forEach((item, index) => collect(item, itemKind, `${where} item ${index + 1}`, objects, rejected));
    return;
  }
  if (kind !== 'Service' && kind !== 'EndpointSlice') return;
  try {
    objects.push(identify(kind, fields));
  } catch (error) {
    if (!(error instanceof KubeXdsError)) throw error;
    rejected.push(badObject(`${where}: ${error.message}`, { ...error.context, where }));
  }
}

function identify(kind: ManifestKind, fields: Record<string, unknown>): ManifestObject {
  const apiVersion = fields.apiVersion;
  if (apiVersion !== undefined && apiVersion !== apiVersions[kind]) {
    throw badObject(`${kind} apiVersion ${JSON.stringify(apiVersion)} is not supported (use ${apiVersions[kind]})`, { kind });
  }
  const metadata = fields.metadata;
  const object =
    typeof metadata === 'object' && metadata !== null && (metadata as Record<string, unknown>).namespace == null
      ? { ...fields, metadata: { ...metadata, namespace: 'default' } }
      : fields;
  const ref = readRef(kind, object);
  return { kind, key: `${kind}/${ref.namespace}/${ref.name}`, object };
}
