// Folders made level by level with errors that name the path and the cause,
// and never a hang on the kernel's pseudo file systems.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FsError, fsCause, makeDirs, specialFileSystem } from './files.js';
import { tempDir } from './test-util.js';

test('makeDirs: missing levels made, an existing folder accepted, a file on the way and /proc refused by name (no hang)', () => {
  const t = tempDir();
  try {
    const deep = join(t.dir, 'a', 'b', 'c');
    makeDirs(deep);
    assert.ok(existsSync(deep));
    makeDirs(deep);
    const file = join(t.dir, 'file');
    writeFileSync(file, 'x');
    assert.throws(() => makeDirs(join(file, 'sub', 'dir'), 'the run directory'), (e: unknown) => e instanceof FsError && e.code === 'ENOTDIR' && e.path === file && /^cannot use the run directory '.*file\/sub\/dir': '.*file' is a file, not a folder$/.test(e.message));
    assert.throws(() => makeDirs(file), /'.*file' is a file, not a folder/);
    if (existsSync('/proc/self')) {
      assert.equal(specialFileSystem('/proc'), 'proc');
      const t0 = Date.now();
      assert.throws(() => makeDirs('/proc/tanglenas-x/y'), /'\/proc' is on the kernel's proc file system, which holds no files$/);
      assert.ok(Date.now() - t0 < 1000);
    }
    assert.equal(specialFileSystem(t.dir), null);
    mkdirSync(join(t.dir, 'x'));
    assert.equal(fsCause(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })), 'no space left on device (ENOSPC)');
    assert.equal(fsCause(new Error('plain')), 'plain');
  } finally {
    t.cleanup();
  }
});
