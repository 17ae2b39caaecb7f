// The main-thread handle of server-worker.ts: start the control plane on its own thread,
// ask it things, hear about its publishes, and make sure it ends.
import { Worker } from 'node:worker_threads';
import { wallNow } from './stats.ts';

export type ServerSetup =
  | { readonly kind: 'control-plane'; readonly kubeconfig: string }
  | { readonly kind: 'ads'; readonly services: number };

export type Request =
  | { readonly id: number; readonly op: 'clock' | 'usage' | 'stats' | 'gc' | 'stop' }
  | { readonly id: number; readonly op: 'push'; readonly generation: number };

export interface Reply {
  readonly type: 'reply';
  readonly id: number;
  readonly value: unknown;
}

export interface Publish {
  /** wallNow() on the server thread when the proxyless snapshot was set. */
  readonly at: number;
  /** wallNow() once the ADS server had handed every stream its response. */
  readonly writtenAt: number;
  /** ClusterLoadAssignments changed (-1: the first snapshot). */
  readonly endpoints: number;
}

export interface Usage {
  /** CPU time of the server thread so far (user + system). */
  readonly cpuMs: number;
  readonly heapUsed: number;
  readonly at: number;
}

export interface PushResult {
  /** wallNow() on the server thread when the source announced the change. */
  readonly at: number;
  readonly cpuMsBefore: number;
}

export class ServerThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (value: unknown) => void>();
  readonly #exited: Promise<number>;
  readonly publishes: Publish[] = [];
  #nextId = 1;
  xdsPort = 0;
  /** Server clock minus main clock (ms), estimated on start; a sanity figure for cross-thread times. */
  clockOffsetMs = 0;

  private constructor(setup: ServerSetup) {
    this.#worker = new Worker(new URL('./server-worker.ts', import.meta.url), { workerData: setup });
    this.#exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.on('message', (message: { type: string } & Record<string, unknown>) => {
      if (message.type === 'published') this.publishes.push(message as unknown as Publish);
      else if (message.type === 'reply') {
        const reply = message as unknown as Reply;
        this.#pending.get(reply.id)?.(reply.value);
        this.#pending.delete(reply.id);
      }
    });
  }

  static async start(setup: ServerSetup): Promise<ServerThread> {
    const thread = new ServerThread(setup);
    const ready = await new Promise<{ xdsPort: number }>((resolve, reject) => {
      thread.#worker.once('error', reject);
      thread.#worker.once('exit', (code) => reject(new Error(`server thread exited (${code}) before it was ready`)));
      thread.#worker.on('message', (message: { type: string; xdsPort?: number }) => {
        if (message.type === 'ready') resolve(message as { xdsPort: number });
      });
    });
    thread.xdsPort = ready.xdsPort;
    thread.clockOffsetMs = await thread.#calibrate();
    return thread;
  }

  get address(): string {
    return `127.0.0.1:${this.xdsPort}`;
  }

  request<T>(op: Exclude<Request['op'], 'push'>): Promise<T> {
    return this.#send({ id: this.#nextId++, op }) as Promise<T>;
  }

  push(generation: number): Promise<PushResult> {
    return this.#send({ id: this.#nextId++, op: 'push', generation }) as Promise<PushResult>;
  }

  /** Stops the control plane and waits for its thread to end by itself (or says it did not). */
  async stop(): Promise<void> {
    await this.request('stop');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 5_000, 'timeout').unref());
    if ((await Promise.race([this.#exited, timeout])) === 'timeout') {
      console.log('  WARNING: the server thread left handles open after stop(); terminating it');
      await this.#worker.terminate();
    }
  }

  #send(request: Request): Promise<unknown> {
    return new Promise((resolve) => {
      this.#pending.set(request.id, resolve);
      this.#worker.postMessage(request);
    });
  }

  /** NTP-style: the round trip with the least delay, its server time against its midpoint. */
  async #calibrate(): Promise<number> {
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < 20; i++) {
      const sent = wallNow();
      const server = await this.request<number>('clock');
      const received = wallNow();
      if (received - sent < best.rtt) best = { rtt: received - sent, offset: server - (sent + received) / 2 };
    }
    return best.offset;
  }
}
