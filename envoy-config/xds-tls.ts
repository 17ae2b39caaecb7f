// TLS from a client to the control plane, as the bootstraps write it: the files on the
// client's side (read by the client, never here) and, for Envoy, the upstream TLS context of
// its xds_cluster. Envoy checks a certificate's names only when told which, so the context
// always names one: the server name given, else the host the client dials.
import { isIP } from 'node:net';
import { configError } from '../common/errors.ts';

export interface XdsClientTls {
  /** PEM CA bundle that signed the control plane's certificate. */
  readonly caFile: string;
  /** The client's own PEM certificate chain and key, for mutual TLS (both or neither). */
  readonly certFile?: string;
  readonly keyFile?: string;
}

export interface EnvoyXdsTls extends XdsClientTls {
  /** The name Envoy sends as SNI and requires among the certificate's SANs; default: the xDS host. */
  readonly serverName?: string;
}

export function checkXdsClientTls(tls: XdsClientTls): void {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw configError('a client certificate needs its key, and a key its certificate');
}

/** The transport_socket of Envoy's xds_cluster (proto3 JSON field names). */
export function envoyXdsTransportSocket(tls: EnvoyXdsTls, xdsHost: string) {
  checkXdsClientTls(tls);
  const name = tls.serverName ?? xdsHost;
  const ip = isIP(name) !== 0;
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
      // SNI is a host name: an IP address is not sent.
      ...(!ip && { sni: name }),
      common_tls_context: {
        // gRPC servers (grpc-js's included) take HTTP/2 only when the handshake names it.
        alpn_protocols: ['h2'],
        ...(tls.certFile !== undefined && { tls_certificates: [{ certificate_chain: { filename: tls.certFile }, private_key: { filename: tls.keyFile } }] }),
        validation_context: {
          trusted_ca: { filename: tls.caFile },
          match_typed_subject_alt_names: [{ san_type: ip ? 'IP_ADDRESS' : 'DNS', matcher: { exact: name } }],
        },
      },
    },
  };
}
