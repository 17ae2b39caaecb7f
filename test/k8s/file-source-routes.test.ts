// The file source reads GRPCRoutes and HTTPRoutes from the folder like the API server's
// objects: joined to their Services, followed as files change, a malformed one skipped with
// its file named and its last good version kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { waitFor } from '../support/wait.ts';
import { backend, grpcRoute, httpRoute, service, serviceParent } from './fixtures.ts';
import { withFolder, type Write } from './folder-harness.ts';

const echo = service('echo', { namespace: 'demo' });
const canary = service('echo-canary', { namespace: 'demo' });
const split = (canaryWeight: number) =>
  grpcRoute('echo-canary', { namespace: 'demo', parentRefs: [serviceParent('echo')], rules: [{ backendRefs: [backend('echo', 50051, { weight: 100 - canaryWeight }), backend('echo-canary', 50051, { weight: canaryWeight })] }] });

const weights = (backends: readonly { name: string; weight: number }[] | undefined) => backends?.map((b) => `${b.name}=${b.weight}`);

test('Routes from the folder: joined to their Services, edits followed, statuses reported', async () => {
  const seed = async (write: Write) => {
    await write('echo.yaml', echo, canary);
    await write('routes.yaml', split(10));
  };
  await withFolder(seed, {}, async (h) => {
    const routes = () => h.source.services().get('demo/echo')?.routes;
    assert.equal(weights(routes()?.[0]?.backends), ['echo=90', 'echo-canary=10']);
    assert.ok(routes()?.[0]?.backends.every((b) => b.resolved));
    assert.equal(h.source.status().routes, { total: 1, withProblems: 0 });
    assert.equal([...h.source.routeStatuses().keys()], ['GRPCRoute/demo/echo-canary']);

    let since = h.batches.length;
    await h.write('routes.yaml', split(50));
    await h.changeOf('demo/echo', since);
    assert.equal(weights(routes()?.[0]?.backends), ['echo=50', 'echo-canary=50']);

    // A malformed version: skipped, the file named, the last good version served.
    await h.write('routes.yaml', { ...split(50), spec: { parentRefs: [serviceParent('echo')], rules: [{ backendRefs: [backend('echo', 50051, { weight: -1 })] }] } }, httpRoute('web', { namespace: 'demo', parentRefs: [serviceParent('nowhere')], rules: [{ backendRefs: [backend('echo', 50051)] }] }));
    await waitFor('the HTTPRoute read', () => h.source.status().routes?.total === 2);
    const rejected = h.log.lines.find((line) => line.level === 'warn' && String(line.error).includes('backendRefs[0].weight'));
    assert.ok(rejected, 'the malformed Route is logged');
    assert.match(String(rejected!.error), /routes\.yaml document 1/);
    assert.equal(weights(routes()?.[0]?.backends), ['echo=50', 'echo-canary=50']);
    assert.equal(h.source.status().routes, { total: 2, withProblems: 1 }, 'the HTTPRoute whose parent does not exist');
    assert.ok(h.log.lines.some((line) => line.level === 'warn' && line.route === 'HTTPRoute/demo/web'), 'its problem is logged');

    since = h.batches.length;
    await h.write('routes.yaml');
    await h.changeOf('demo/echo', since);
    assert.is(routes(), undefined);
    assert.equal(h.source.status().routes, { total: 0, withProblems: 0 });
  });
});

test.run();
