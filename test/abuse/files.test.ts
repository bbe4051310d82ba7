/**
 * `files` grants against a careless or hostile tree: symlinks out of the granted directory,
 * symlink loops, devices and FIFOs are refused at start-up, naming the path; links that stay
 * inside are followed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ComponentLoadError } from '../../src/errors.js';
import { snapshotFiles } from '../../src/executor/load/files.js';

describe('files grants', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spindle-files-'));
    await writeFile(join(dir, 'secret.txt'), 'never granted');
    await mkdir(join(dir, 'static', 'css'), { recursive: true });
    await writeFile(join(dir, 'static', 'index.html'), '<h1>hi</h1>');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const refused = async (name: string, make: (root: string) => Promise<void>, message: RegExp) => {
    const root = join(dir, name);
    await mkdir(root);
    await make(root);
    await assert.rejects(snapshotFiles('c', [{ source: root, destination: '/static' }]), (err: unknown) => {
      assert.ok(err instanceof ComponentLoadError, String(err));
      assert.equal(err.context.component, 'c');
      assert.match(err.message, message);
      return true;
    });
  };

  it('follows a symlink that stays inside the granted directory', async () => {
    const root = join(dir, 'inside');
    await mkdir(join(root, 'a'), { recursive: true });
    await writeFile(join(root, 'a', 'file.txt'), 'granted');
    await symlink('a/file.txt', join(root, 'alias.txt'));
    const tree = await snapshotFiles('c', [{ source: root, destination: '/static' }]);
    const entries = (tree['/static'] as { dir: Record<string, { source?: Uint8Array }> }).dir;
    assert.equal(new TextDecoder().decode(entries['alias.txt']!.source), 'granted');
  });

  it('refuses a relative symlink out of the granted directory', () =>
    refused('rel', (root) => symlink('../secret.txt', join(root, 'leak')), /leak is a symlink to .*secret\.txt, outside the granted/));

  it('refuses an absolute symlink out of the granted directory', () =>
    refused('abs', (root) => symlink('/etc/hostname', join(root, 'abs')), /abs is a symlink to \/etc\/hostname, outside the granted/));

  it('refuses a symlink loop instead of recursing for ever', () =>
    refused('loop', (root) => symlink('.', join(root, 'again')), /again is a symlink to a directory that contains it/));

  it('refuses a device instead of reading it for ever', async () => {
    await assert.rejects(snapshotFiles('c', [{ source: '/dev/zero', destination: '/zero' }]), /\/dev\/zero is not a regular file or a directory/);
  });

  it('refuses a FIFO instead of blocking start-up', () =>
    refused('fifo', async (root) => void execFileSync('mkfifo', [join(root, 'pipe')]), /pipe is not a regular file or a directory/));
});
