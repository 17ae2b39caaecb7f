// `kube-xds serve`'s xDS listeners: the plaintext address (which can be turned off) and the
// TLS one with its certificate files, checked together once. The files must be readable now;
// their contents are checked when the control plane starts (control-plane/certificate-files.ts).
import { accessSync, constants, statSync } from 'node:fs';
import { configError, describeError, systemErrorText } from '../common/errors.ts';
import type { TlsListenerSecurity } from '../control-plane/transport-security.ts';
import { parseAddress, single, type FlagSpec, type FlagValues } from './flags.ts';

/** The --xds-address value that turns the plaintext listener off. */
export const listenerOff = 'off';

export const xdsListenerFlags: readonly FlagSpec[] = [
  { name: 'xds-address', value: 'HOST:PORT|off', default: '0.0.0.0:18000', help: `where the ADS gRPC server listens in plaintext; "${listenerOff}" for nowhere (then --xds-tls-address is needed)` },
  { name: 'xds-tls-address', value: 'HOST:PORT', help: 'where it also listens with TLS (off unless given); needs --tls-cert-file and --tls-key-file' },
  { name: 'tls-cert-file', value: 'FILE', help: "the TLS port's PEM certificate chain; read again when it changes (new connections get the new one)" },
  { name: 'tls-key-file', value: 'FILE', help: 'its PEM private key, read again with it' },
  { name: 'tls-client-ca-file', value: 'FILE', help: 'mutual TLS: clients of the TLS port must present a certificate this PEM CA bundle signed' },
  { name: 'tls-allowed-san', value: 'SAN', repeatable: true, help: 'with --tls-client-ca-file: only client certificates with this DNS or URI SAN (e.g. spiffe://cluster.local/ns/NS/sa/SA) may open streams; others get PERMISSION_DENIED' },
];

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface XdsListenersConfig {
  /** The plaintext listener; absent with --xds-address off. */
  readonly xds?: ListenAddress;
  readonly xdsTls?: ListenAddress & { readonly security: TlsListenerSecurity };
}

export function xdsListenersConfig(flags: FlagValues): XdsListenersConfig {
  const plainText = single(flags, 'xds-address')!;
  const xds = plainText === listenerOff ? undefined : parseAddress('xds-address', plainText);
  const tlsText = single(flags, 'xds-tls-address');
  const certFile = single(flags, 'tls-cert-file');
  const keyFile = single(flags, 'tls-key-file');
  const clientCaFile = single(flags, 'tls-client-ca-file');
  const allowedSans = flags.get('tls-allowed-san') ?? [];

  if (tlsText === undefined) {
    const stray = ['tls-cert-file', 'tls-key-file', 'tls-client-ca-file', 'tls-allowed-san'].find((name) => (flags.get(name) ?? []).length > 0);
    if (stray) throw configError(`--${stray} is for the TLS xDS listener: give --xds-tls-address too`);
    if (!xds) throw configError(`--xds-address is ${listenerOff} and there is no --xds-tls-address: no client could reach the control plane`);
    return Object.freeze({ xds });
  }
  const xdsTls = parseAddress('xds-tls-address', tlsText);
  if (xds && xds.port !== 0 && xds.port === xdsTls.port && xds.host === xdsTls.host) {
    throw configError(`--xds-address and --xds-tls-address are both ${plainText}: TLS needs a port of its own (or --xds-address ${listenerOff})`);
  }
  if (certFile === undefined || keyFile === undefined) {
    const missing = certFile === undefined ? 'tls-cert-file' : 'tls-key-file';
    throw configError(`--xds-tls-address needs --tls-cert-file and --tls-key-file; --${missing} is missing`);
  }
  if (allowedSans.length > 0 && clientCaFile === undefined) {
    throw configError('--tls-allowed-san needs --tls-client-ca-file: without a client CA, clients present no certificate to check');
  }
  for (const san of allowedSans) {
    if (!/^[^\s,]+$/.test(san)) throw configError(`--tls-allowed-san must be one DNS name or URI (e.g. spiffe://cluster.local/ns/demo/sa/app), got "${san}"`);
  }
  mustBeReadable('tls-cert-file', certFile);
  mustBeReadable('tls-key-file', keyFile);
  if (clientCaFile !== undefined) mustBeReadable('tls-client-ca-file', clientCaFile);
  const security: TlsListenerSecurity = Object.freeze({
    certFile,
    keyFile,
    ...(clientCaFile !== undefined && { clientCaFile }),
    ...(allowedSans.length > 0 && { allowedSans: Object.freeze([...allowedSans]) }),
  });
  return Object.freeze({ ...(xds && { xds }), xdsTls: Object.freeze({ ...xdsTls, security }) });
}

function mustBeReadable(flag: string, file: string): void {
  let problem: string | undefined;
  try {
    if (statSync(file).isDirectory()) problem = 'is a folder, not a file';
    else accessSync(file, constants.R_OK);
  } catch (error) {
    problem = `cannot read it (${systemErrorText(error) ?? describeError(error)})`;
  }
  if (problem) throw configError(`--${flag} ${file}: ${problem}`);
}
