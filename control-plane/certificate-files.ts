// The TLS files of an xDS listener: its certificate chain and private key, and the CA that
// client certificates must chain to (mutual TLS). Read and checked once at start (a bad file
// stops the start), then again whenever they change on disk: a Secret mounted as a volume is
// replaced by swapping the `..data` symlink of its folder, so each file's folder is watched,
// with a poll behind it in case a watch misses the swap. A set that cannot be used (half
// written, a key that does not match the certificate) is logged once and ignored: the last
// good set keeps serving. grpc-js reads the set through its CertificateProvider interface
// and applies a new one to new connections only, so streams already open are not touched.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { experimental } from '@grpc/grpc-js';
import { describeError } from '../common/errors.ts';
import { log } from '../common/log.ts';

type CertificateProvider = experimental.CertificateProvider;
type IdentityListener = experimental.IdentityCertificateUpdateListener;
type CaListener = experimental.CaCertificateUpdateListener;

export interface TlsFilePaths {
  /** PEM certificate chain, the listener's own certificate first. */
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM CA bundle: when given, clients must present a certificate it signed. */
  readonly clientCaFile?: string;
}

/** A set of files that passed the checks, and what the log says of it. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa?: Buffer;
  /** The listener's own certificate (the chain's first). */
  readonly certificate: X509Certificate;
}

export interface CertificateFilesOptions {
  /** How often the files are read again even when no watch fired. */
  readonly pollIntervalMs?: number;
  /** A change is read this long after the last event, so a swap that takes several steps is read once, whole. */
  readonly settleMs?: number;
}

export const defaultCertificatePollIntervalMs = 60_000;
const defaultSettleMs = 50;

export class CertificateFiles implements CertificateProvider {
  readonly paths: TlsFilePaths;
  readonly #pollIntervalMs: number;
  readonly #settleMs: number;
  #current: TlsMaterial;
  /** Fingerprints of unusable sets already logged; cleared when a good set loads. */
  readonly #warned = new Set<string>();
  readonly #identityListeners = new Set<IdentityListener>();
  readonly #caListeners = new Set<CaListener>();
  #watchers: FSWatcher[] = [];
  #poll?: NodeJS.Timeout;
  #settle?: NodeJS.Timeout;
  #reading?: Promise<void>;
  #readAgain = false;

  /** Reads and checks the files now; throws an error naming the file when they cannot serve. */
  constructor(paths: TlsFilePaths, options: CertificateFilesOptions = {}) {
    this.paths = Object.freeze({ ...paths });
    this.#pollIntervalMs = options.pollIntervalMs ?? defaultCertificatePollIntervalMs;
    this.#settleMs = options.settleMs ?? defaultSettleMs;
    const files = { cert: readFileSync(paths.certFile), key: readFileSync(paths.keyFile), clientCa: paths.clientCaFile === undefined ? undefined : readFileSync(paths.clientCaFile) };
    this.#current = checkedMaterial(paths, files);
  }

  /** The set in use: what new connections are served. */
  current(): TlsMaterial {
    return this.#current;
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.add(listener);
    this.#startWatching();
    // As grpc-js's own providers do: the current value arrives asynchronously.
    process.nextTick(() => this.#identityListeners.has(listener) && listener(this.#identityUpdate()));
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.#identityListeners.delete(listener);
    this.#stopWatchingWhenUnused();
  }

  addCaCertificateListener(listener: CaListener): void {
    this.#caListeners.add(listener);
    this.#startWatching();
    process.nextTick(() => this.#caListeners.has(listener) && listener(this.#caUpdate()));
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.#caListeners.delete(listener);
    this.#stopWatchingWhenUnused();
  }

  /**
   * Reads the files now (the watch and the poll call it; tests too). Resolves once read; a
   * call while a read runs makes that run read once more, and resolves with it.
   */
  reload(): Promise<void> {
    if (this.#reading) {
      this.#readAgain = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      try {
        do {
          this.#readAgain = false;
          await this.#readOnce();
        } while (this.#readAgain);
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }

  /** Stops watching the files (the listeners' removal does it too). */
  close(): void {
    this.#identityListeners.clear();
    this.#caListeners.clear();
    this.#stopWatchingWhenUnused();
  }

  async #readOnce(): Promise<void> {
    const { certFile, keyFile, clientCaFile } = this.paths;
    let files: RawFiles;
    try {
      const [cert, key, clientCa] = await Promise.all([readFile(certFile), readFile(keyFile), clientCaFile === undefined ? undefined : readFile(clientCaFile)]);
      files = { cert, key, clientCa };
    } catch (error) {
      // Missing for a moment while a swap is under way: the next event or poll reads it again.
      this.#warnOnce(`unreadable:${describeError(error)}`, describeError(error));
      return;
    }
    const previous = this.#current;
    if (files.cert.equals(previous.cert) && files.key.equals(previous.key) && sameBytes(files.clientCa, previous.clientCa)) return;
    let material: TlsMaterial;
    try {
      material = checkedMaterial(this.paths, files);
    } catch (error) {
      this.#warnOnce(fingerprint(files), describeError(error));
      return;
    }
    this.#current = material;
    this.#warned.clear();
    log.info({ ...describeCertificate(material.certificate), clientCaChanged: !sameBytes(files.clientCa, previous.clientCa) }, 'TLS files changed: new connections get the new certificate');
    const identity = this.#identityUpdate();
    for (const listener of this.#identityListeners) listener(identity);
    const ca = this.#caUpdate();
    if (ca) for (const listener of this.#caListeners) listener(ca);
  }

  #warnOnce(key: string, reason: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    log.warn({ reason, serving: describeCertificate(this.#current.certificate) }, 'TLS files changed but cannot be used; the previous certificate keeps serving');
  }

  #identityUpdate(): experimental.IdentityCertificateUpdate {
    return { certificate: this.#current.cert, privateKey: this.#current.key };
  }

  #caUpdate(): experimental.CaCertificateUpdate | null {
    return this.#current.clientCa ? { caCertificate: this.#current.clientCa } : null;
  }

  #startWatching(): void {
    if (this.#poll) return;
    this.#poll = setInterval(() => this.#reloadInBackground(), this.#pollIntervalMs);
    this.#poll.unref();
    const { certFile, keyFile, clientCaFile } = this.paths;
    for (const dir of new Set([certFile, keyFile, clientCaFile].filter((file) => file !== undefined).map((file) => dirname(file)))) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.#changed());
        watcher.on('error', (error) => {
          log.warn({ dir, error: describeError(error) }, 'cannot watch the TLS files any longer; they are still read every poll');
          watcher.close();
        });
        this.#watchers.push(watcher);
      } catch (error) {
        log.warn({ dir, error: describeError(error), pollIntervalMs: this.#pollIntervalMs }, 'cannot watch the TLS files; they are read every poll instead');
      }
    }
  }

  #changed(): void {
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => this.#reloadInBackground(), this.#settleMs);
    this.#settle.unref();
  }

  #reloadInBackground(): void {
    this.reload().catch((error: unknown) => log.error({ error: describeError(error) }, 'reading the TLS files again failed; the previous certificate keeps serving'));
  }

  #stopWatchingWhenUnused(): void {
    if (this.#identityListeners.size > 0 || this.#caListeners.size > 0) return;
    clearInterval(this.#poll);
    clearTimeout(this.#settle);
    this.#poll = undefined;
    this.#settle = undefined;
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
  }
}

interface RawFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa: Buffer | undefined;
}

/** The files as a set that can serve TLS; throws an error that names the file at fault. */
function checkedMaterial(paths: TlsFilePaths, files: RawFiles): TlsMaterial {
  const certificate = firstCertificate(files.cert, `the certificate file ${paths.certFile}`);
  let key;
  try {
    key = createPrivateKey(files.key);
  } catch (error) {
    throw new Error(`the private key file ${paths.keyFile} holds no usable PEM private key (${describeError(error)})`);
  }
  if (!certificate.checkPrivateKey(key)) throw new Error(`the private key in ${paths.keyFile} does not belong to the certificate in ${paths.certFile}`);
  if (files.clientCa) {
    const caFile = paths.clientCaFile!;
    pemCertificates(files.clientCa, `the client CA file ${caFile}`);
  }
  try {
    createSecureContext({ cert: files.cert, key: files.key, ...(files.clientCa && { ca: files.clientCa }) });
  } catch (error) {
    throw new Error(`${paths.certFile} and ${paths.keyFile} cannot serve TLS: ${describeError(error)}`);
  }
  return Object.freeze({ cert: files.cert, key: files.key, ...(files.clientCa && { clientCa: files.clientCa }), certificate });
}

const pemBlock = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle; throws when there is none, or one does not parse. */
function pemCertificates(bytes: Buffer, what: string): X509Certificate[] {
  const blocks = bytes.toString('latin1').match(pemBlock) ?? [];
  if (blocks.length === 0) throw new Error(`${what} holds no PEM certificate`);
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new Error(`${what}: certificate ${index + 1} does not parse (${describeError(error)})`);
    }
  });
}

function firstCertificate(bytes: Buffer, what: string): X509Certificate {
  return pemCertificates(bytes, what)[0]!;
}

/** What the log says of a certificate: enough to tell one rotation from the next. */
export function describeCertificate(certificate: X509Certificate): Record<string, string> {
  return {
    subject: certificate.subject.replaceAll('\n', ', '),
    serialNumber: certificate.serialNumber,
    validTo: certificate.validToDate.toISOString(),
    ...(certificate.subjectAltName && { subjectAltName: certificate.subjectAltName }),
  };
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

function fingerprint(files: RawFiles): string {
  const hash = createHash('sha256');
  for (const part of [files.cert, files.key, files.clientCa ?? Buffer.alloc(0)]) hash.update(part).update('\0');
  return hash.digest('hex');
}
