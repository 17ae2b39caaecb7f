// Which client certificates may open streams on a mutual-TLS listener: those with a DNS or
// URI subject alternative name (a SPIFFE id, say) on the allowed list. Checked per call, from
// the certificate the connection's client presented, for every service of the port (ADS and
// CSDS alike); a call from any other certificate ends with PERMISSION_DENIED before it
// reaches the service.
import type { PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { RefusalWarnings } from './refusal-warnings.ts';

export interface SubjectAltName {
  readonly type: 'DNS' | 'URI';
  readonly value: string;
}

/**
 * The DNS and URI names of Node's `subjectaltname` text ("DNS:a, URI:spiffe://b, IP Address:c").
 * Node writes a value holding a comma, quote or other special character as a JSON string.
 */
export function subjectAltNames(text: string | undefined): SubjectAltName[] {
  const names: SubjectAltName[] = [];
  const entry = /([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;
  let match: RegExpExecArray | null;
  while (text && entry.lastIndex < text.length && (match = entry.exec(text))) {
    const [, type, raw] = match as unknown as [string, string, string];
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    if (type === 'DNS' || type === 'URI') names.push({ type, value });
  }
  return names;
}

/** Whether a certificate with these names is allowed: a URI equal to an entry, or a DNS name equal to one ignoring case. */
export function isAllowed(names: readonly SubjectAltName[], allowed: readonly string[]): boolean {
  return names.some(({ type, value }) =>
    allowed.some((entry) => (type === 'URI' ? entry === value : entry.toLowerCase() === value.toLowerCase())),
  );
}

/** A server interceptor that ends with PERMISSION_DENIED every call whose client certificate has none of `allowed`. */
export function allowedSansInterceptor(allowed: readonly string[]): grpc.ServerInterceptor {
  const list = Object.freeze([...allowed]);
  const warnings = new RefusalWarnings();
  return (method, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const certificate: PeerCertificate | undefined = call.getAuthContext().sslPeerCertificate;
        const names = subjectAltNames(certificate?.subjectaltname);
        if (isAllowed(names, list)) {
          next(metadata);
          return;
        }
        const presented = names.length > 0 ? names.map(({ type, value }) => `${type}:${value}`).join(', ') : 'no DNS or URI name';
        const details = `the client certificate (SAN ${presented}) is not allowed on this xDS port`;
        warnings.warn(presented, { peer: call.getPeer(), method: method.path, subject: certificate?.subject?.CN, presented }, 'refused a call: its client certificate has no allowed SAN');
        call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details });
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };
}
