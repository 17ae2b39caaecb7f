// The image carries every folder of product code: a folder added to the code but not to the
// Dockerfile (or left out of the build context by .dockerignore) builds fine and fails only
// when the image starts.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const notShipped = new Set(['test', 'examples', 'deploy', 'docs', 'protos']);
const files = execFileSync('git', ['ls-files', '*.ts', '*.js', '*.html'], { encoding: 'utf8' }).trim().split('\n');
const folders = [...new Set(files.filter((file) => file.includes('/')).map((file) => file.split('/')[0]!))].filter((folder) => !notShipped.has(folder));

test('the Dockerfile copies every top-level folder of product code', () => {
  const copied = new Set([...readFileSync('Dockerfile', 'utf8').matchAll(/^COPY (\S+) \.\/\1$/gm)].map((match) => match[1]));
  assert.ok(folders.includes('bin') && folders.includes('ops'), folders.join(' '));
  assert.equal(folders.filter((folder) => !copied.has(folder)), []);
});

test('.dockerignore lets every one of them into the build context', () => {
  const allowed = new Set([...readFileSync('.dockerignore', 'utf8').matchAll(/^!(\S+?)\/?$/gm)].map((match) => match[1]));
  assert.equal(folders.filter((folder) => !allowed.has(folder)), []);
});

test.run();
