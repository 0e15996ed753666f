import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { allocatorReexec, MALLOC_TUNABLE, steadyHeapPays, V8_FLAGS, type ProcessFacts } from '../../src/cli/allocator.js';

const base: ProcessFacts = {
  platform: 'linux',
  env: { PATH: '/usr/bin', HOME: '/root' },
  execPath: '/opt/ibt/imap-backup-tool',
  execArgv: [],
  argv: ['/opt/ibt/imap-backup-tool', '/opt/ibt/imap-backup-tool', 'run', '--config', 'c.yml'],
  isSea: true,
  canExecve: true,
  ipc: false,
  executable: true,
};

describe('starting again with a fixed malloc mmap threshold', () => {
  it.each<[string, Partial<ProcessFacts>, string[] | undefined, string | undefined]>([
    ['the Linux executable: its own arguments, not its argv[1] copy', {}, ['/opt/ibt/imap-backup-tool', 'run', '--config', 'c.yml'], MALLOC_TUNABLE],
    ['plain node: its flags and the script again', { isSea: false, execPath: '/usr/bin/node', execArgv: ['--max-semi-space-size=1', '--heap-growing-percent=50'], argv: ['/usr/bin/node', '/app/cli.cjs', '--verbose'] }, ['/usr/bin/node', '--max-semi-space-size=1', '--heap-growing-percent=50', '/app/cli.cjs', '--verbose'], MALLOC_TUNABLE],
    ['plain node gets the executable\'s V8 flags', { isSea: false, execPath: '/usr/bin/node', execArgv: ['--no-warnings'], argv: ['/usr/bin/node', '/app/cli.cjs'] }, ['/usr/bin/node', '--max-semi-space-size=2', '--no-warnings', '/app/cli.cjs'], MALLOC_TUNABLE],
    ['the admin\'s own flags kept beside ours', { isSea: false, execPath: '/usr/bin/node', execArgv: ['--heap-growing-percent=10'], argv: ['/usr/bin/node', '/app/cli.cjs'] }, ['/usr/bin/node', '--max-semi-space-size=2', '--heap-growing-percent=10', '/app/cli.cjs'], MALLOC_TUNABLE],
    ['one NODE_OPTIONS sets', { isSea: false, execPath: '/usr/bin/node', env: { NODE_OPTIONS: '--max-semi-space-size=16' }, argv: ['/usr/bin/node', '/app/cli.cjs'] }, ['/usr/bin/node', '/app/cli.cjs'], MALLOC_TUNABLE],
    ['in V8\'s other spelling too', { isSea: false, execPath: '/usr/bin/node', env: { NODE_OPTIONS: '--max_semi_space_size=16' }, argv: ['/usr/bin/node', '/app/cli.cjs'] }, ['/usr/bin/node', '/app/cli.cjs'], MALLOC_TUNABLE],
    ['other tunables are kept', { env: { GLIBC_TUNABLES: 'glibc.pthread.rseq=0' } }, ['/opt/ibt/imap-backup-tool', 'run', '--config', 'c.yml'], `glibc.pthread.rseq=0:${MALLOC_TUNABLE}`],
    ['already started again (or the admin tuned malloc): never a loop', { env: { GLIBC_TUNABLES: MALLOC_TUNABLE } }, undefined, undefined],
    ['an admin malloc setting is left alone', { env: { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' } }, undefined, undefined],
    ['Windows', { platform: 'win32' }, undefined, undefined],
    ['macOS', { platform: 'darwin' }, undefined, undefined],
    ['Node without process.execve', { canExecve: false }, undefined, undefined],
    // Node aborts when execve fails: these must never get that far.
    ['started with an IPC channel, which the restart would lose', { ipc: true }, undefined, undefined],
    ['the file is no longer executable', { executable: false }, undefined, undefined],
    ['the file was deleted or replaced since it started', { execPath: '/opt/ibt/imap-backup-tool (deleted)' }, undefined, undefined],
    ['started through the dynamic loader', { execPath: '/usr/lib64/ld-linux-x86-64.so.2' }, undefined, undefined],
    ['musl loader too', { execPath: '/lib/ld-musl-x86_64.so.1' }, undefined, undefined],
  ])('%s', (_, facts, args, tunables) => {
    const plan = allocatorReexec({ ...base, ...facts });
    expect(plan?.args).toEqual(args);
    expect(plan?.env['GLIBC_TUNABLES']).toBe(tunables);
    if (plan) expect(plan.env['PATH'] ?? plan.env['GLIBC_TUNABLES']).toBeDefined();
    if (plan && !facts.env) expect(plan.env['HOME']).toBe('/root');
  });
});

describe('which runs start again', () => {
  it.each<[string, Parameters<typeof steadyHeapPays>[0], boolean]>([
    ['a first backup: every message downloaded', { dryRun: false, archiveToZip: false, firstBackup: true }, true],
    ['a run with an archive: every file read again', { dryRun: false, archiveToZip: true, firstBackup: false }, true],
    ['both', { dryRun: false, archiveToZip: true, firstBackup: true }, true],
    ['a later run without an archive: only new mail, a small heap', { dryRun: false, archiveToZip: false, firstBackup: false }, false],
    ['a dry run writes nothing', { dryRun: true, archiveToZip: true, firstBackup: true }, false],
  ])('%s', (_, run, expected) => {
    expect(steadyHeapPays(run)).toBe(expected);
  });
});

// The executable's blob and a restarted `node cli.cjs` must run with the same heap.
it('build/sea.mjs gives the executable the same V8 flags', () => {
  const sea = fs.readFileSync(new URL('../../build/sea.mjs', import.meta.url), 'utf8');
  const execArgv = /const EXEC_ARGV = (\[[^\]]*\])/.exec(sea)?.[1];
  expect(execArgv && JSON.parse(execArgv.replace(/'/g, '"'))).toEqual([...V8_FLAGS]);
});
