// A private PKI for the TLS tests, made with the openssl command line at test time (Node
// cannot sign certificates): CAs, and certificates they sign with the SANs a test asks for.
// And a folder laid out as kubelet mounts a Secret volume, updated as kubelet updates it
// (and cert-manager's renewals reach a pod): a new `..TIMESTAMP` folder, then one atomic
// rename of the `..data` symlink onto it.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Issued {
  readonly cert: string;
  readonly key: string;
  /** The certificate's serial number (upper-case hex, as node:tls reports it). */
  readonly serial: string;
}

export interface IssueOptions {
  /** subjectAltName entries: "DNS:name", "URI:spiffe://...", "IP:127.0.0.1". */
  readonly sans?: readonly string[];
  readonly usage?: 'server' | 'client';
  /** The CA that signs it (a name given to ca()); default "ca". */
  readonly ca?: string;
}

export class TestPki {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  /** A self-signed CA; returns its certificate file. */
  ca(name = 'ca'): string {
    this.#openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`);
    return this.file(`${name}.crt`);
  }

  /** A certificate and key signed by a CA of this PKI. */
  issue(name: string, { sans = [], usage = 'server', ca = 'ca' }: IssueOptions = {}): Issued {
    this.#openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    const extensions = [`extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}`, ...(sans.length > 0 ? [`subjectAltName=${sans.join(',')}`] : [])];
    writeFileSync(this.file(`${name}.ext`), extensions.join('\n') + '\n');
    this.#openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`);
    const cert = this.file(`${name}.crt`);
    return { cert, key: this.file(`${name}.key`), serial: new X509Certificate(readFileSync(cert)).serialNumber };
  }

  #openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }
}

/** A folder laid out as a mounted Secret volume; each write is one atomic swap of `..data`. */
export class SecretVolume {
  readonly dir: string;
  #generation = 0;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  /** The path a pod reads a key at (a symlink through `..data`). */
  path(key: string): string {
    return join(this.dir, key);
  }

  /** Replaces the whole contents as kubelet does: key -> the file to copy (a path), or the bytes themselves. */
  write(contents: Readonly<Record<string, string | Buffer>>): void {
    const version = `..${Date.now()}_${++this.#generation}`;
    mkdirSync(join(this.dir, version));
    for (const [key, value] of Object.entries(contents)) {
      writeFileSync(join(this.dir, version, key), typeof value === 'string' ? readFileSync(value) : value);
    }
    const data = join(this.dir, '..data');
    const previous = existsSync(data) ? readdirSync(this.dir).find((entry) => entry.startsWith('..') && entry !== '..data' && entry !== version) : undefined;
    symlinkSync(version, join(this.dir, '..data_tmp'));
    renameSync(join(this.dir, '..data_tmp'), data);
    for (const key of Object.keys(contents)) {
      if (!existsSync(this.path(key))) symlinkSync(join('..data', key), this.path(key));
    }
    if (previous) rmSync(join(this.dir, previous), { recursive: true, force: true });
  }
}
