import type { ArgsDef } from 'citty';
import { describe, expect, it } from 'vitest';
import { argProblem } from '../../src/cli/arg-check.js';

const run: ArgsDef = {
  config: { type: 'string' },
  verbose: { type: 'boolean' },
  mailbox: { type: 'string' },
  'dry-run': { type: 'boolean' },
};
const verify: ArgsDef = { archive: { type: 'positional', required: true }, verbose: { type: 'boolean' } };

describe('argProblem: a typo on the command line stops the run instead of running with defaults', () => {
  it.each<[string, ArgsDef, string[], string | undefined]>([
    ['all known', run, ['--config', 'c.yml', '--mailbox', 'a@x', '--dry-run', '--verbose'], undefined],
    ['--flag=value', run, ['--config=c.yml', '--mailbox=a@x'], undefined],
    ['a negated boolean', run, ['--no-verbose'], undefined],
    ['nothing', run, [], undefined],
    ['after --', run, ['--', '--whatever'], undefined],
    ['a positional where one is expected', verify, ['backup.zip', '--verbose'], undefined],
    ['--dryrun', run, ['--dryrun'], 'Unknown option "--dryrun" (did you mean --dry-run?)'],
    ['--confg', run, ['--confg', 'c.yml'], 'Unknown option "--confg" (did you mean --config?)'],
    ['-c', run, ['-c', 'c.yml'], 'Unknown option "-c" (did you mean --config?)'],
    ['far from anything', run, ['--zzzzzz'], 'Unknown option "--zzzzzz"'],
    ['a Windows-style option', run, ['/config', 'c.yml'], 'Unexpected argument "/config" (options start with --, as in --config)'],
    ['a stray argument', run, ['--config', 'c.yml', 'extra'], 'Unexpected argument "extra"'],
    ['two positionals for one', verify, ['a.zip', 'b.zip'], 'Unexpected argument "b.zip"'],
    ['--mailbox without a value', run, ['--mailbox'], '--mailbox needs a value'],
    ['--mailbox followed by a flag', run, ['--mailbox', '--dry-run'], '--mailbox needs a value'],
    ['--mailbox=', run, ['--mailbox='], '--mailbox needs a value'],
  ])('%s', (_label, def, args, want) => {
    expect(argProblem(args, def)).toBe(want);
  });
});
