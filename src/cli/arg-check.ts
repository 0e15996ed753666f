import type { ArgsDef } from 'citty';
import { editDistance } from '../core/edit-distance.js';

/**
 * What is wrong with a command line, if anything: citty ignores flags it does not know, so a typo
 * (`--dryrun`, `--confg`) would run the real thing with defaults, a real backup or a real restore.
 * Pure.
 */
export function argProblem(rawArgs: readonly string[], def: ArgsDef): string | undefined {
  const known = new Map(Object.entries(def).map(([name, d]) => [name, d.type ?? 'string']));
  let positionals = [...known.values()].filter((t) => t === 'positional').length;
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i] ?? '';
    if (arg === '--') return undefined;
    if (!arg.startsWith('-') || arg === '-') {
      if (positionals-- > 0) continue;
      return `Unexpected argument "${arg}"${arg.startsWith('/') && !arg.includes('.') ? ' (options start with --, as in --config)' : ''}`;
    }
    const [flag = '', inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2);
    const name = known.has(flag) || !flag.startsWith('no-') ? flag : flag.slice(3);
    const type = known.get(name);
    if (type === undefined || type === 'positional') {
      const near = closest(flag, [...known.entries()].filter(([, t]) => t !== 'positional').map(([n]) => n));
      return `Unknown option "${arg.split('=')[0]}"${near ? ` (did you mean --${near}?)` : ''}`;
    }
    if (type === 'string' && inline === undefined) {
      const value = rawArgs[i + 1];
      if (value === undefined || value.startsWith('--') || value.trim() === '') return `--${name} needs a value`;
      i++;
    } else if (type === 'string' && (inline ?? '').trim() === '') return `--${name} needs a value`;
  }
  return undefined;
}

/** The known name within two edits (or one that starts the same), for "did you mean". */
function closest(given: string, names: string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of names) {
    const d = name.startsWith(given) || given.startsWith(name) ? 1 : editDistance(given, name);
    if (d <= 2 && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}
