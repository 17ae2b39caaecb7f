// A stream's class is decided once, from the node of its first request.
import { badRequest } from '../common/errors.ts';
import { roleMetadataKey } from '../envoy-config/bootstrap-envoy.ts';
import type { envoy } from '../generated/envoy.js';
import type { ClientClass } from '../envoy-config/resource-set.ts';

/**
 * An explicit role wins. Without one, Envoy is a gateway (it cannot use the api_listeners
 * proxyless clients get) and everything else — gRPC clients — is proxyless.
 */
export function classifyNode(node: envoy.config.core.v3.INode): ClientClass {
  const roleValue = node.metadata?.fields?.[roleMetadataKey];
  if (roleValue) {
    const role = roleValue.stringValue;
    if (role === 'gateway' || role === 'sidecar' || role === 'proxyless') return role;
    throw badRequest(
      `node metadata "${roleMetadataKey}" must be one of gateway, sidecar, proxyless; got ${JSON.stringify(role ?? roleValue)}`,
    );
  }
  return node.user_agent_name === 'envoy' ? 'gateway' : 'proxyless';
}
