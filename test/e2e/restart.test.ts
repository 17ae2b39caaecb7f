// The control plane as users run it (the CLI in its own process) is killed and started
// again: the client keeps calling with zero failures meanwhile, and later changes arrive.
import { spawn, type ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CallLoop } from '../support/call-loop.ts';
import { waitFor } from '../support/wait.ts';
import { tally, testBootstrap, xdsEchoClient } from '../support/xds-channel.ts';
import { Cluster, freePort, target } from './support.ts';

function startCli(cluster: Cluster, xdsPort: number): ChildProcess {
  const args = ['bin/kube-xds.js', 'serve', '--kubeconfig', cluster.kubeconfig, '--xds-address', `127.0.0.1:${xdsPort}`, '--admin-address', '127.0.0.1:0', '--log-level', 'warn'];
  return spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

test('a killed and restarted control plane costs no call, and later changes still arrive', async () => {
  const cluster = await Cluster.start();
  const xdsPort = await freePort();
  let child = startCli(cluster, xdsPort);
  const client = xdsEchoClient(target, testBootstrap(`127.0.0.1:${xdsPort}`));
  let load: CallLoop | undefined;
  try {
    cluster.setPods(['ready', 'ready', 'ready']);
    // Calls fail until the first config arrives (the CLI is still starting): warm up first.
    await waitFor('calls to reach three pods', async () => (await tally(client, 6)).byBackend.size === 3, { timeoutMs: 30_000 });
    const running = (load = new CallLoop(client));

    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
    const callsWhileDown = running.calls;
    await waitFor('calls to go on while the control plane is down', () => running.calls > callsWhileDown + 100);

    child = startCli(cluster, xdsPort);
    cluster.setPods(['ready', 'ready', 'ready', 'ready', 'ready']);
    await waitFor('calls to reach the two new pods', () => ['pod-4', 'pod-5'].every((n) => running.recent.includes(n)), { timeoutMs: 30_000 });

    // The client goes first: with no control plane, grpc-js-xds keeps a retry timer alive.
    await running.stop();
    client.close();
    const stopped = exited(child);
    child.kill('SIGTERM');
    assert.equal(await stopped, { code: 0, signal: null }, 'SIGTERM stops the control plane cleanly');
  } finally {
    await load?.stop();
    client.close();
    child.kill('SIGKILL');
    await cluster.stop();
  }
  assert.equal(load?.errors, []);
});

test.run();
