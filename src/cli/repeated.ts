/**
 * Every value of a flag given more than once (`--folder a --folder b`, `--folder=b`): citty keeps
 * only the last one.
 */
export function repeatedArg(rawArgs: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i] ?? '';
    if (arg === '--') break;
    if (arg === `--${name}` && i + 1 < rawArgs.length) values.push(rawArgs[++i] ?? '');
    else if (arg.startsWith(`--${name}=`)) values.push(arg.slice(name.length + 3));
  }
  return values.map((v) => v.trim()).filter(Boolean);
}
