#!/usr/bin/env node
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

// Entry point. The sources are TypeScript that Node runs directly (type stripping), which
// needs Node >= 22.19 — also what @kubernetes/client-node 2.x requires.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(`kube-xds needs Node.js >= 22.19 (Node 24 LTS recommended); this is ${process.version}\n`);
  process.exit(1);
}
enableCompileCache();
const { runCli } = await import('./cli.ts');
await runCli();

/**
 * Node's compile cache: the compiled code of every module (TypeScript already stripped),
 * kept across starts. Measured: `serve` ready in 0.45 s of CPU instead of 0.9 s.
 * NODE_COMPILE_CACHE wins (the image sets one it warmed when it was built); else the user's
 * cache folder. A folder that cannot be created just means no cache;
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
function enableCompileCache() {
  if (process.env.NODE_COMPILE_CACHE || !module.enableCompileCache) return;
  try {
    const cacheHome = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
    module.enableCompileCache(join(cacheHome, 'kube-xds', 'compile-cache'));
  } catch {
    // No home folder: start without the cache.
  }
}
