// A real Envoy started from a bootstrap file, as the demo (and the tests) run it: one worker,
// no hot restart, the admin endpoint on a port it is told. It keeps the end of Envoy's log
// for error messages and stops with SIGTERM, then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';

export interface EnvoyProcessOptions {
  /** The Envoy binary. */
  readonly path: string;
  readonly bootstrapFile: string;
  /** The admin port the bootstrap names (on 127.0.0.1). */
  readonly adminPort: number;
  readonly logLevel?: 'error' | 'warn' | 'info' | 'debug';
}

export class EnvoyProcess {
  readonly adminPort: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #exit = '';
  #stderr = '';

  private constructor(child: ChildProcess, adminPort: number) {
    this.#child = child;
    this.adminPort = adminPort;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        resolve();
      });
      // A spawn that fails (the binary vanished) emits 'error' and no 'exit'.
      child.once('error', (error) => {
        this.#exit = `did not start (${error.message})`;
        resolve();
      });
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString()).slice(-4_000);
    });
  }

  static start({ path, bootstrapFile, adminPort, logLevel = 'error' }: EnvoyProcessOptions): EnvoyProcess {
    const child = spawn(path, ['-c', bootstrapFile, '--disable-hot-restart', '--concurrency', '1', '-l', logLevel], { stdio: ['ignore', 'ignore', 'pipe'] });
    return new EnvoyProcess(child, adminPort);
  }

  get running(): boolean {
    return this.#exit === '';
  }

  /** How Envoy ended (when it did) and the end of its log, for an error message. */
  describe(): string {
    const tail = this.#stderr.trim();
    return `${this.running ? 'Envoy is running' : `Envoy ${this.#exit}`}${tail ? `; its log ends:\n${tail}` : ''}`;
  }

  async admin(path: string): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.adminPort}${path}`, { signal: AbortSignal.timeout(5_000) });
    return response.text();
  }

  /** Envoy's admin /ready says LIVE: its initial configuration is in place. */
  async live(): Promise<boolean> {
    return (await this.admin('/ready').catch(() => '')).trim() === 'LIVE';
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once Envoy has exited. */
  async stop(graceMs = 2_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
