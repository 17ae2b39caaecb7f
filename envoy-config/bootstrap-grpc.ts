// The bootstrap JSON of proxyless gRPC clients, accepted by every client of
// docs/compatibility.md. Clients read it from the file named by GRPC_XDS_BOOTSTRAP.
// With TLS it carries gRFC A65's `tls` channel credentials, which grpc-go and C-core read
// (and reload every refresh interval, 10 minutes by default); grpc-js-xds 1.14 knows only
// `insecure` and `google_default`, and grpc-java's `tls` trusts the system CAs alone.
import { checkXdsClientTls, type XdsClientTls } from './xds-tls.ts';

export type { XdsClientTls } from './xds-tls.ts';

export interface GrpcBootstrapInput {
  /** `host:port` of the control plane. */
  readonly serverUri: string;
  readonly nodeId: string;
  /** The client's zone ('' when unknown). */
  readonly zone?: string;
  readonly nodeCluster?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** TLS (mutual with a client certificate) to the control plane; the certificate must name the host of serverUri. */
  readonly tls?: XdsClientTls;
}

/** gRFC A65: the file-watcher certificate provider's settings. */
export interface TlsChannelCredsConfig {
  ca_certificate_file: string;
  certificate_file?: string;
  private_key_file?: string;
}

export type ChannelCreds = { type: 'insecure' } | { type: 'tls'; config: TlsChannelCredsConfig };

export interface GrpcBootstrap {
  xds_servers: { server_uri: string; channel_creds: ChannelCreds[]; server_features: string[] }[];
  node: { id: string; cluster?: string; locality: { zone?: string }; metadata?: Record<string, string> };
}

export function grpcBootstrap(input: GrpcBootstrapInput): GrpcBootstrap {
  return {
    // `insecure` is the one channel credential every client accepts; `xds_v3` selects the v3 protocol.
    xds_servers: [{ server_uri: input.serverUri, channel_creds: [input.tls ? tlsChannelCreds(input.tls) : { type: 'insecure' }], server_features: ['xds_v3'] }],
    node: {
      id: input.nodeId,
      ...(input.nodeCluster && { cluster: input.nodeCluster }),
      // grpc-js refuses a bootstrap without node.locality, even an empty one.
      locality: input.zone ? { zone: input.zone } : {},
      ...(input.metadata && { metadata: { ...input.metadata } }),
    },
  };
}

function tlsChannelCreds(tls: XdsClientTls): ChannelCreds {
  checkXdsClientTls(tls);
  return {
    type: 'tls',
    config: {
      ca_certificate_file: tls.caFile,
      ...(tls.certFile !== undefined && { certificate_file: tls.certFile, private_key_file: tls.keyFile }),
    },
  };
}
