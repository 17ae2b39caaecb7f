// Server credentials of a TLS xDS listener: the certificate and key (and, for mutual TLS, the
// client CA) from files that are reloaded as they change (certificate-files.ts), through
// grpc-js's certificate-provider credentials, which apply a new set to new connections and
// leave open ones alone. With allowed SANs, calls from other client certificates are refused.
import * as grpc from '@grpc/grpc-js';
import { allowedSansInterceptor } from './allowed-sans.ts';
import { CertificateFiles, type CertificateFilesOptions, type TlsFilePaths } from './certificate-files.ts';

export interface TlsListenerSecurity extends TlsFilePaths {
  /** DNS or URI SANs of the client certificates allowed to open streams; needs clientCaFile. Empty or absent: any certificate the CA signed. */
  readonly allowedSans?: readonly string[];
}

export interface TlsCredentials {
  readonly credentials: grpc.ServerCredentials;
  readonly files: CertificateFiles;
}

/** Reads the files now (throwing when they cannot serve) and returns the credentials to bind with. */
export function tlsServerCredentials(security: TlsListenerSecurity, options?: CertificateFilesOptions): TlsCredentials {
  const allowedSans = security.allowedSans ?? [];
  if (allowedSans.length > 0 && security.clientCaFile === undefined) throw new Error('allowed SANs need a client CA: without one no client presents a certificate');
  const files = new CertificateFiles(security, options);
  const mutual = security.clientCaFile !== undefined;
  // grpc-js's declaration names the first parameter caCertificateProvider, but the
  // implementation takes the identity provider first and the CA provider second.
  const certificateCredentials = grpc.experimental.createCertificateProviderServerCredentials(files, mutual ? files : null, mutual);
  const credentials = allowedSans.length > 0 ? grpc.experimental.createServerCredentialsWithInterceptors(certificateCredentials, [allowedSansInterceptor(allowedSans)]) : certificateCredentials;
  return { credentials, files };
}
