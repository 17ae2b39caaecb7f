// How long a server's event loop stalls, seen from outside: GET `url` on one keep-alive
// connection, one request every `periodMs`, and keep the longest round trip. A request that
// arrives while the server's loop is blocked waits until the block ends, so the longest round
// trip is the longest stall to within a period (plus one normal round trip). The requests are
// made from a worker thread so that the bench's own main thread (the fake API server, the
// clients decoding what they receive) cannot delay them.
import { Agent, request } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { percentiles } from './stats.ts';

export interface ProbeResult {
  readonly requests: number;
  readonly maxMs: number;
  readonly p99Ms: number;
  readonly p50Ms: number;
}

interface Setup {
  readonly loopProbe: true;
  readonly url: string;
  readonly periodMs: number;
}

export class LoopProbe {
  readonly #worker: Worker;
  readonly #result: Promise<ProbeResult>;
  readonly #started: Promise<void>;

  private constructor(url: string, periodMs: number) {
    this.#worker = new Worker(new URL(import.meta.url), { workerData: { loopProbe: true, url, periodMs } satisfies Setup });
    const failed = new Promise<never>((_, reject) => {
      this.#worker.once('error', reject);
      this.#worker.once('exit', (code) => reject(new Error(`the loop probe exited with ${code}`)));
    });
    failed.catch(() => {});
    let started: () => void;
    let finished: (result: ProbeResult) => void;
    // The first message says the first round trip is done (the connection is up); the second is the result.
    this.#started = Promise.race([new Promise<void>((resolve) => (started = resolve)), failed]);
    this.#result = Promise.race([new Promise<ProbeResult>((resolve) => (finished = resolve)), failed]);
    this.#worker.on('message', (message: 'started' | ProbeResult) => (message === 'started' ? started() : finished(message)));
  }

  /** Starts probing; resolves once the first round trip is done. */
  static async start(url: string, periodMs = 2): Promise<LoopProbe> {
    const probe = new LoopProbe(url, periodMs);
    await probe.#started;
    return probe;
  }

  async stop(): Promise<ProbeResult> {
    this.#worker.postMessage('stop');
    const result = await this.#result;
    await this.#worker.terminate();
    return result;
  }
}

async function probeLoop({ url, periodMs }: Setup): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let stopping = false;
  parentPort!.on('message', () => void (stopping = true));
  const roundTrips: number[] = [];
  while (!stopping) {
    const started = performance.now();
    await get(url, agent);
    roundTrips.push(performance.now() - started);
    if (roundTrips.length === 1) parentPort!.postMessage('started');
    const left = started + periodMs - performance.now();
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }
  agent.destroy();
  const measured = roundTrips.slice(1);
  const p = percentiles(measured);
  parentPort!.postMessage({ requests: measured.length, maxMs: p.max, p99Ms: p.p99, p50Ms: p.p50 } satisfies ProbeResult);
}

function get(url: string, agent: Agent): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => resolve());
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

if (!isMainThread && (workerData as Setup | undefined)?.loopProbe) await probeLoop(workerData as Setup);
