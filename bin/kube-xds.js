#!/usr/bin/env node
// Entry point. The sources are TypeScript that Node runs directly (type stripping), which
// needs Node >= 22.19 — also what @kubernetes/client-node 2.x requires.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`kube-xds needs Node.js >= 22.19 (Node 24 LTS recommended); this is ${process.version}\n`);
  process.exit(1);
}
const { runCli } = await import('./cli.ts');
await runCli();
