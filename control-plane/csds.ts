// Client Status Discovery Service (envoy.service.status.v3) on the xDS port: what each
// connected client was sent of every resource and how it answered, as standard xDS tooling
// asks for it. One ClientConfig per stream: a node id on two streams shows up twice.
import { setFlagsFromString } from 'node:v8';
import * as grpc from '@grpc/grpc-js';
import { badRequest, describeError, KubeXdsError } from '../common/errors.ts';
import { log } from '../common/log.ts';
import { envoy, google } from '../generated/envoy.js';
import type { ClientView } from './ads-server.ts';
import { rawMethod } from './raw-method.ts';
import type { NackRecord, SyncState, TypeStatus } from './stream-status.ts';

const { ClientStatusRequest, ClientStatusResponse, ConfigStatus } = envoy.service.status.v3;
const { ClientResourceStatus } = envoy.admin.v3;
type ClientConfig = envoy.service.status.v3.ClientConfig.$Properties;
type GenericXdsConfig = envoy.service.status.v3.ClientConfig.GenericXdsConfig.$Properties;
type StringMatcher = envoy.type.matcher.v3.StringMatcher.$Properties;
type Node = envoy.config.core.v3.INode;

const csds = 'envoy.service.status.v3.ClientStatusDiscoveryService';

/** The server's view of a type, for every resource of it the client holds. */
const configStatusOf: Record<SyncState, envoy.service.status.v3.ConfigStatus> = {
  SYNCED: ConfigStatus.SYNCED,
  STALE: ConfigStatus.STALE,
  NACKED: ConfigStatus.ERROR,
  NOT_SENT: ConfigStatus.NOT_SENT,
};
/** What the client said of it: STALE is sent but not answered yet, so the client's view is unknown. */
const clientStatusOf: Record<SyncState, envoy.admin.v3.ClientResourceStatus> = {
  SYNCED: ClientResourceStatus.ACKED,
  STALE: ClientResourceStatus.UNKNOWN,
  NACKED: ClientResourceStatus.NACKED,
  NOT_SENT: ClientResourceStatus.UNKNOWN,
};

export function csdsService(clients: () => readonly ClientView[]): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const fetch = (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
    try {
      callback(null, answer(call.request, clients()));
    } catch (error) {
      callback(statusOf(error));
    }
  };
  const stream = (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
    let failed = false;
    call.on('data', (bytes: Buffer) => {
      if (failed || call.destroyed || call.writableEnded) return;
      try {
        call.write(answer(bytes, clients()));
      } catch (error) {
        failed = true;
        call.emit('error', statusOf(error));
      }
    });
    call.on('end', () => {
      if (!failed && !call.writableEnded) call.end();
    });
    call.on('error', () => {}); // the client went away: nothing to clean up
  };
  return {
    definition: { FetchClientStatus: rawMethod(csds, 'FetchClientStatus', false), StreamClientStatus: rawMethod(csds, 'StreamClientStatus', true) },
    implementation: { FetchClientStatus: fetch, StreamClientStatus: stream },
  };
}

/** Encodes the ClientStatusResponse to a ClientStatusRequest; throws a coded error for a bad request. */
function answer(bytes: Uint8Array, clients: readonly ClientView[]): Buffer {
  let request: envoy.service.status.v3.ClientStatusRequest;
  try {
    request = ClientStatusRequest.decode(bytes);
  } catch (error) {
    throw badRequest(`malformed ClientStatusRequest: ${describeError(error)}`);
  }
  const matches = nodeMatcher(request.node_matchers);
  const config: ClientConfig[] = [];
  for (const client of clients) {
    const node = client.node;
    if (node && matches(node)) config.push(clientConfig(client, node, request.exclude_resource_contents));
  }
  return Buffer.from(ClientStatusResponse.encode({ config }).finish());
}

function clientConfig(client: ClientView, node: Node, excludeContents: boolean): ClientConfig {
  const generic: GenericXdsConfig[] = [];
  for (const type of client.status().types) {
    const held = client.held(type.type);
    const doesNotExist = new Set(type.unresolved.map((entry) => entry.name));
    const names = [...new Set([...held.keys(), ...type.subscribed])].sort();
    for (const name of names) {
      const resource = held.get(name);
      if (!resource) {
        // Asked for and never sent: known not to exist, or waiting (its class is not ready yet).
        generic.push({
          type_url: type.type,
          name,
          config_status: ConfigStatus.NOT_SENT,
          client_status: doesNotExist.has(name) ? ClientResourceStatus.DOES_NOT_EXIST : ClientResourceStatus.REQUESTED,
        });
        continue;
      }
      generic.push({
        type_url: type.type,
        name,
        version_info: resource.version,
        // A delta client that reconnected may hold a resource known only by its version.
        ...('any' in resource && !excludeContents && { xds_config: google.protobuf.Any.decode(resource.any) }),
        ...syncOf(type),
      });
    }
  }
  return { node, generic_xds_configs: generic };
}

/**
 * NACKs and ACKs answer a whole response, so the status is per type: after a NACK every
 * resource of the type the client holds is shown in error (the rejected content is what it
 * was sent, as the proto's ERROR says), with the client's message.
 */
function syncOf(type: TypeStatus): Pick<GenericXdsConfig, 'config_status' | 'client_status' | 'error_state'> {
  const nack = type.sync === 'NACKED' ? type.lastNack : undefined;
  return {
    config_status: configStatusOf[type.sync],
    client_status: clientStatusOf[type.sync],
    ...(nack && { error_state: failureOf(nack) }),
  };
}

function failureOf(nack: NackRecord): envoy.admin.v3.UpdateFailureState.$Properties {
  const ms = nack.at.getTime();
  return { details: nack.message, version_info: nack.version, last_update_attempt: { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 } };
}

/**
 * The request's node matchers, any of which may match (none: every client). Only node_id is
 * matched: a matcher on node metadata is refused rather than ignored, since ignoring it would
 * answer with clients the caller did not ask for.
 */
function nodeMatcher(matchers: readonly envoy.type.matcher.v3.NodeMatcher.$Properties[]): (node: Node) => boolean {
  if (matchers.length === 0) return () => true;
  const tests = matchers.map((matcher, i) => {
    if (matcher.node_metadatas?.length) throw new UnsupportedRequest(`node_matchers[${i}].node_metadatas: matching on node metadata is not supported; match on node_id`);
    return matcher.node_id ? stringMatcher(matcher.node_id, `node_matchers[${i}].node_id`) : () => true;
  });
  return (node) => tests.some((test) => test(node.id ?? ''));
}

// safe_regex comes from whoever reaches the xDS port: a backtracking engine would let one
// pattern stall the process. V8's linear-time engine (the `l` flag, enabled here) runs what
// it accepts in time linear in the input, like RE2, and refuses what it cannot (backreferences,
// lookaround, some nested quantifiers): those get INVALID_ARGUMENT.
setFlagsFromString('--enable-experimental-regexp-engine');

/**
 * envoy.type.matcher.v3.StringMatcher. safe_regex runs on V8's linear-time engine rather
 * than RE2: the syntax node ids need is the same, matched against the whole id as Envoy does.
 */
function stringMatcher(matcher: StringMatcher, field: string): (value: string) => boolean {
  const fold = matcher.ignore_case ? (text: string) => text.toLowerCase() : (text: string) => text;
  const { exact, prefix, suffix, contains, safe_regex } = matcher;
  if (exact != null) return (value) => fold(value) === fold(exact);
  if (prefix != null) return (value) => fold(value).startsWith(fold(prefix));
  if (suffix != null) return (value) => fold(value).endsWith(fold(suffix));
  if (contains != null) return (value) => fold(value).includes(fold(contains));
  if (safe_regex) {
    let regex: RegExp;
    try {
      regex = new RegExp(`^(?:${safe_regex.regex ?? ''})$`, 'l');
    } catch (error) {
      throw badRequest(`${field}.safe_regex: ${describeError(error)}`);
    }
    return (value) => regex.test(value);
  }
  if (matcher.custom) throw new UnsupportedRequest(`${field}.custom: custom string matchers are not supported`);
  throw badRequest(`${field} has no pattern: set exact, prefix, suffix, contains or safe_regex`);
}

class UnsupportedRequest extends Error {}

function statusOf(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof KubeXdsError) return { code: grpc.status.INVALID_ARGUMENT, details: error.message };
  if (error instanceof UnsupportedRequest) return { code: grpc.status.UNIMPLEMENTED, details: error.message };
  log.error({ error: describeError(error) }, 'CSDS request failed');
  return { code: grpc.status.INTERNAL, details: describeError(error) };
}
