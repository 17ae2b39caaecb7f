// The test-peer client of test/peers/README.md on grpc-js (+ grpc-js-xds for xds:/// targets),
// the project's own pinned versions. Run: node test/peers/node/client.ts --target ...
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { helloPath } from '../../../bin/demo/echo.ts';

const require = createRequire(import.meta.url);
const version = (name: string): string => (require(`${name}/package.json`) as { version: string }).version;

function fail(message: string): never {
  process.stderr.write(`client: ${message}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      target: { type: 'string' },
      authority: { type: 'string' },
      rate: { type: 'string', default: '50' },
      'duration-ms': { type: 'string', default: '0' },
      'deadline-ms': { type: 'string', default: '5000' },
      'idle-timeout-ms': { type: 'string', default: '0' },
      method: { type: 'string', default: helloPath },
      metadata: { type: 'string', multiple: true, default: [] },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
const number = (flag: keyof typeof values, min: number): number => {
  const value = Number(values[flag]);
  if (!Number.isFinite(value) || value < min) fail(`--${flag} must be a number >= ${min}`);
  return value;
};
const target = values.target ?? fail('--target is required');
const rate = number('rate', Number.MIN_VALUE);
const durationMs = number('duration-ms', 0);
const deadlineMs = number('deadline-ms', 1);
const idleTimeoutMs = number('idle-timeout-ms', 0);
const method = values.method!;
if (!/^\/[^/]+\/[^/]+$/.test(method)) fail('--method must be /SERVICE/METHOD');
const metadata = new grpc.Metadata();
for (const entry of values.metadata!) {
  const at = entry.indexOf('=');
  if (at <= 0) fail('--metadata must be KEY=VALUE');
  metadata.add(entry.slice(0, at), entry.slice(at + 1));
}

const started = performance.now();
const ms = () => Math.round(performance.now() - started);
const emit = (fields: object) => process.stdout.write(`${JSON.stringify(fields)}\n`);

grpcXds.register();
emit({ event: 'start', client: 'grpc-js', version: version('@grpc/grpc-js'), xds: version('@grpc/grpc-js-xds') });
const options: grpc.ChannelOptions = {};
if (values.authority) options['grpc.default_authority'] = values.authority;
if (idleTimeoutMs > 0) options['grpc.client_idle_timeout_ms'] = idleTimeoutMs;
const client = new grpc.Client(target, grpc.credentials.createInsecure(), options);
const utf8 = { serialize: (value: string) => Buffer.from(value, 'utf8'), deserialize: (bytes: Buffer) => bytes.toString('utf8') };
/** One call of `method`; resolves with the name of the backend that answered. */
const call = () =>
  new Promise<string>((resolve, reject) =>
    client.makeUnaryRequest(method, utf8.serialize, utf8.deserialize, 'hi', metadata, { deadline: Date.now() + deadlineMs }, (error, name) =>
      error ? reject(error) : resolve(name!),
    ),
  );

let paused = false;
let stopped = false;
let wake: (() => void) | undefined;
const nudge = () => wake?.();
if (durationMs > 0) setTimeout(() => ((stopped = true), nudge()), durationMs);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'pause') paused = true;
  if (line.trim() === 'resume') paused = false;
  nudge();
});
lines.on('close', () => ((stopped = true), nudge()));

/** Resolves after `delayMs`, or early when a command arrives. */
const sleep = (delayMs: number) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(() => resolve(), delayMs);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });

const calls: Record<string, number> = {};
const failures: Record<string, number> = {};
const firstAnswerMs: Record<string, number> = {};
const intervalMs = 1000 / rate;
let nextCall = performance.now();
while (!stopped) {
  const now = performance.now();
  if (paused || now < nextCall) {
    await sleep(paused ? 60_000 : nextCall - now);
    continue;
  }
  nextCall = Math.max(nextCall + intervalMs, now);
  try {
    const name = await call();
    calls[name] = (calls[name] ?? 0) + 1;
    firstAnswerMs[name] ??= ms();
    emit({ event: 'call', ms: ms(), backend: name });
  } catch (error) {
    const { code, details } = error as grpc.ServiceError;
    const codeName = grpc.status[code] ?? String(code);
    failures[codeName] = (failures[codeName] ?? 0) + 1;
    emit({ event: 'failure', ms: ms(), code: codeName, details });
  }
}
emit({ event: 'summary', calls, failures, first_answer_ms: firstAnswerMs });
client.close();
process.exit(0);
