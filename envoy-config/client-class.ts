// Which class of client a stream serves, decided once from the node of its first request,
// and the protocol choices that go with each class. The control plane is given this
// classifier; it does not know the classes itself.
import { badRequest } from '../common/errors.ts';
import { shortened } from '../common/text.ts';
import type { envoy } from '../generated/envoy.js';
import { roleMetadataKey } from './bootstrap-envoy.ts';
import type { ClientClass } from './resource-set.ts';

export interface ClassifiedClient {
  readonly snapshot: ClientClass;
  readonly legacyWildcard: boolean;
  readonly retainsWithdrawn: boolean;
}

/**
 * An explicit role wins. Without one, Envoy is a gateway (it cannot use the api_listeners
 * proxyless clients get) and everything else — gRPC clients — is proxyless.
 */
export function classifyNode(node: envoy.config.core.v3.INode): ClassifiedClient {
  const roleValue = node.metadata?.fields?.[roleMetadataKey];
  let clientClass: ClientClass = node.user_agent_name === 'envoy' ? 'gateway' : 'proxyless';
  if (roleValue) {
    const role = roleValue.stringValue;
    if (role !== 'gateway' && role !== 'sidecar' && role !== 'proxyless') {
      throw badRequest(`node metadata "${roleMetadataKey}" must be one of gateway, sidecar, proxyless; got ${shortened(JSON.stringify(role ?? roleValue) ?? '', 100)}`);
    }
    clientClass = role;
  }
  const proxyless = clientClass === 'proxyless';
  return {
    snapshot: clientClass,
    // Only Envoy takes an empty first list as "everything"; gRPC clients always name resources.
    legacyWildcard: !proxyless,
    retainsWithdrawn: proxyless,
  };
}

/*
 * Why proxyless clients keep a listener or cluster they named even after its Service is
 * deleted (their ClusterLoadAssignment is emptied instead): told that the listener is gone,
 * grpc-js 1.14, grpc-java 1.85 and C-core 1.51 never use the Service again when a `kubectl
 * delete` and `apply` bring it back (grpc-js ignores a resource identical to one it was told
 * is gone); grpc-go and C-core 1.85 recover. With the listener kept, every one of them is
 * back one EDS push after the Service returns. Meanwhile calls fail fast on the empty
 * assignment (grpc-java alone keeps calling the last endpoints; in a cluster, those pods
 * went with the Service). Envoy subscribes to listeners and clusters by wildcard and takes
 * removals as they are.
 */
