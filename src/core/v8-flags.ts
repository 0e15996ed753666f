/**
 * Whether the admin gave Node this V8 flag (`--heap-growing-percent`, in either spelling, `-` or
 * `_`) on its command line or in NODE_OPTIONS: a value of the tool's own then stays out. Pure.
 */
export function flagGiven(flag: string, execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, nodeOptions ?? ''].join(' ').replace(/_/g, '-').includes(flag);
}
