// Loaded with `node --import`: writes every module URL the process resolved (import or
// require) to the file named by RECORD_IMPORTS_TO when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const urls: string[] = [];
registerHooks({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    urls.push(resolved.url);
    return resolved;
  },
});
process.on('exit', () => writeFileSync(process.env.RECORD_IMPORTS_TO!, urls.join('\n')));
