// `kube-xds status` as a user runs it, against `kube-xds serve` on a folder with raw ADS
// clients in each state: one ACKs everything, one NACKs, one never ACKs, one mistypes a name.
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { freePort } from '../../bin/demo/free-port.ts';
import type { StreamStatus } from '../../control-plane/stream-status.ts';
import { pushOrder, TypeUrl, typeShortName } from '../../control-plane/types.ts';
import { age, typeColumns } from '../../ops/status-table.ts';
import { endpoint, service, slice } from '../k8s/fixtures.ts';
import { CliControlPlane } from '../support/cli-control-plane.ts';
import { grpcNode, RawAdsClient } from '../support/raw-ads-client.ts';
import { waitFor } from '../support/wait.ts';
import { cli } from './run-cli.ts';

const fqdn = 'echo.demo.svc.cluster.local';
const listener = `${fqdn}:50051`;
const cluster = `outbound|50051||${fqdn}`;
const mistyped = 'echo.dmeo.svc.cluster.local:50051';
const nackMessage = 'listener rejected:\n  unknown filter';

let dir: string;
let controlPlane: CliControlPlane;
let adminAddress: string;
const clients: RawAdsClient[] = [];

async function debugClients(): Promise<StreamStatus[]> {
  const response = await fetch(`http://${adminAddress}/debug/clients`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`/debug/clients answered ${response.status}`);
  return response.json() as Promise<StreamStatus[]>;
}

const syncOf = (streams: readonly StreamStatus[], node: string, type: TypeUrl) => streams.find((s) => s.nodeId === node)?.types.find((t) => t.type === type)?.sync;

function connect(node: string): RawAdsClient {
  const client = new RawAdsClient(controlPlane.xdsAddress, grpcNode(node));
  clients.push(client);
  return client;
}

/** Subscribes to `names` of `type`, waits for the response and ACKs it. */
async function subscribeAndAck(client: RawAdsClient, type: TypeUrl, names: string[]): Promise<void> {
  client.request(type, names);
  await client.nextOf(type);
  client.request(type, names);
}

/** The table's cells by column name, cut where the header puts each column. */
function parseTable(stdout: string): { header: string[]; rows: Record<string, string>[]; notes: string[] } {
  const [headerLine, ...rest] = stdout.split('\n');
  const blank = rest.indexOf('');
  const rowLines = rest.slice(0, blank);
  const notes = rest.slice(blank + 1).filter(Boolean);
  const header = headerLine!.split(/ {3,}/);
  const starts = header.map((name) => headerLine!.indexOf(name));
  const rows = rowLines.map((line) => Object.fromEntries(header.map((name, i) => [name, line.slice(starts[i], starts[i + 1]).trim()])));
  return { header, rows, notes };
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kube-xds-status-'));
  await writeFile(join(dir, 'service.json'), JSON.stringify(service('echo', { namespace: 'demo' })));
  await writeFile(
    join(dir, 'slice.json'),
    JSON.stringify(slice('echo-1', { namespace: 'demo', service: 'echo', endpoints: [endpoint('10.0.0.1', { conditions: { ready: true } })] })),
  );
  controlPlane = await CliControlPlane.start(['--source', `file:${dir}`]);
  adminAddress = new URL(controlPlane.adminUrl).host;
});

test.after(async () => {
  for (const client of clients) client.close();
  await controlPlane?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('with no client connected it says so', async () => {
  assert.equal(await cli(['status', '--admin-address', adminAddress]), { code: 0, stdout: `no clients are connected to the kube-xds at ${adminAddress}\n`, stderr: '' });
});

test('a table row per client, sorted by node id, with each type SYNCED, STALE, NACKED, NOT SENT or not asked for', async () => {
  const synced = connect('synced-client');
  for (const [type, name] of [[TypeUrl.Listener, listener], [TypeUrl.Route, listener], [TypeUrl.Cluster, cluster], [TypeUrl.Endpoint, cluster]] as const) {
    await subscribeAndAck(synced, type, [name]);
  }
  const nacking = connect('nacking-client');
  nacking.request(TypeUrl.Listener, [listener]);
  await nacking.nextOf(TypeUrl.Listener);
  nacking.request(TypeUrl.Listener, [listener], { version: '', error: nackMessage });
  const stale = connect('stale-client');
  stale.request(TypeUrl.Listener, [listener]);
  await stale.nextOf(TypeUrl.Listener);
  const typo = connect('typo-client');
  typo.request(TypeUrl.Listener, [mistyped]);

  const streams = await waitFor('every client in its state', async () => {
    const streams = await debugClients();
    const ready =
      pushOrder.every((type) => syncOf(streams, 'synced-client', type) === 'SYNCED') &&
      syncOf(streams, 'nacking-client', TypeUrl.Listener) === 'NACKED' &&
      syncOf(streams, 'stale-client', TypeUrl.Listener) === 'STALE' &&
      streams.find((s) => s.nodeId === 'typo-client')?.types[0]?.unresolved.length === 1;
    return ready && streams;
  });

  const { code, stdout, stderr } = await cli(['status', '--admin-address', adminAddress]);
  assert.is(code, 0, stderr);
  assert.is(stderr, '');
  assert.not.match(stdout, '\x1b[', 'no colours when stdout is not a terminal');
  const { header, rows, notes } = parseTable(stdout);
  assert.equal(header, ['NODE', 'USER AGENT', 'CLASS', 'PROTOCOL', 'CONNECTED', 'CDS', 'EDS', 'LDS', 'RDS']);
  assert.equal(rows.map((row) => row.NODE), ['nacking-client', 'stale-client', 'synced-client', 'typo-client']);
  for (const row of rows) {
    const stream = streams.find((s) => s.nodeId === row.NODE)!;
    assert.is(row['USER AGENT'], 'gRPC Node/1.14.1');
    assert.ok(stream.nodeClass, `${row.NODE} has a class`);
    assert.is(row.CLASS, stream.nodeClass);
    assert.is(row.PROTOCOL, 'sotw');
    assert.match(row.CONNECTED!, /^\d+(s|m\d+s)$/);
  }
  const states = Object.fromEntries(rows.map((row) => [row.NODE, [row.CDS, row.EDS, row.LDS, row.RDS]]));
  assert.equal(states, {
    'nacking-client': ['-', '-', 'NACKED', '-'],
    'stale-client': ['-', '-', 'STALE', '-'],
    'synced-client': ['SYNCED', 'SYNCED', 'SYNCED', 'SYNCED'],
    'typo-client': ['-', '-', 'NOT SENT', '-'],
  });

  const nack = streams.find((s) => s.nodeId === 'nacking-client')!.types[0]!.lastNack!;
  assert.ok(nack.version, 'the NACKed response had a version');
  const { didYouMean } = streams.find((s) => s.nodeId === 'typo-client')!.types[0]!.unresolved[0]!;
  assert.is(didYouMean[0], listener);
  const suggestions = didYouMean.map((name) => `\`${name}\``);
  const alternatives = suggestions.length === 1 ? suggestions[0] : `${suggestions.slice(0, -1).join(', ')} or ${suggestions.at(-1)}`;
  assert.equal(notes, [
    `node nacking-client rejected LDS version ${nack.version}: listener rejected: unknown filter`,
    `node typo-client asks for LDS \`${mistyped}\`: no such resource; did you mean ${alternatives}?`,
  ]);
});

test('--output json prints what /debug/clients answers; --node keeps one client', async () => {
  const json = await cli(['status', '--admin-address', adminAddress, '--output', 'json']);
  assert.is(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout), await debugClients());

  const one = await cli(['status', '--admin-address', adminAddress, '--node', 'stale-client']);
  assert.is(one.code, 0, one.stderr);
  const { rows, notes } = parseTable(one.stdout);
  assert.equal(rows.map((row) => [row.NODE, row.LDS]), [['stale-client', 'STALE']]);
  assert.equal(notes, []);
  const oneJson = await cli(['status', '--admin-address', adminAddress, '--node', 'typo-client', '--output', 'json']);
  assert.equal(
    JSON.parse(oneJson.stdout),
    (await debugClients()).filter((stream) => stream.nodeId === 'typo-client'),
  );

  const nobody = await cli(['status', '--admin-address', adminAddress, '--node', 'nobody']);
  assert.equal(nobody, { code: 1, stdout: '', stderr: `kube-xds: no connected client has node id "nobody" (4 clients are connected to ${adminAddress})\n` });
});

test('an address nobody listens on: exit 1 and one line naming it', async () => {
  const address = `127.0.0.1:${await freePort('127.0.0.1')}`;
  const result = await cli(['status', '--admin-address', address]);
  assert.equal(result, {
    code: 1,
    stdout: '',
    stderr: `kube-xds: cannot reach the kube-xds admin address ${address}: connection refused; is \`kubectl port-forward deploy/kube-xds 18080\` (or kube-xds serve) running?\n`,
  });
});

test('an answer other than 200 with a list of clients: exit 1 and what came back', async () => {
  const answers = new Map([
    ['404', { status: 404, body: 'not found\n' }],
    ['html', { status: 200, body: '<html></html>' }],
    ['shape', { status: 200, body: '[{"id": "x"}]' }],
  ]);
  let answer = answers.get('404')!;
  const server: Server = createServer((_request, response) => {
    response.writeHead(answer.status);
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  try {
    const notFound = await cli(['status', '--admin-address', address]);
    assert.equal(notFound, { code: 1, stdout: '', stderr: `kube-xds: the kube-xds admin address ${address} answered /debug/clients with 404 Not Found (a kube-xds older than this CLI?)\n` });
    for (const kind of ['html', 'shape']) {
      answer = answers.get(kind)!;
      const result = await cli(['status', '--admin-address', address]);
      assert.equal(result, { code: 1, stdout: '', stderr: `kube-xds: the kube-xds admin address ${address} answered /debug/clients with something that is not a list of clients\n` }, kind);
    }
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('bad flags exit 2 with a clear message', async () => {
  const cases: [string[], string][] = [
    [['--output', 'yaml'], '--output must be table or json, got "yaml"'],
    [['--admin-address', 'localhost'], '--admin-address must be HOST:PORT'],
    [['--timeout', '5'], '--timeout needs a unit'],
    [['--timeout', '0'], '--timeout must be more than 0'],
    [['--nope'], 'unknown flag --nope'],
    [['clients'], 'unexpected argument "clients"'],
  ];
  for (const [args, message] of cases) {
    const result = await cli(['status', ...args]);
    assert.is(result.code, 2, args.join(' '));
    assert.is(result.stdout, '');
    assert.match(result.stderr, `kube-xds: ${message}`);
  }
});

test('the type columns are the registry\'s, in push order; ages show the two largest units', () => {
  assert.equal(typeColumns.map(([name, url]) => [name, url]), pushOrder.map((url) => [typeShortName[url], url]));
  assert.equal([0, 999, 59_999, 312_000, 3_600_000, 11_040_000, 86_400_000 * 2 + 3_600_000 * 5].map(age), ['0s', '0s', '59s', '5m12s', '1h0m', '3h4m', '2d5h']);
});

test.run();
