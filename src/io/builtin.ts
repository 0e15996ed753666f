import { createRequire } from 'node:module';

let requireBuiltin: NodeJS.Require | undefined;

/**
 * A Node module loaded when first needed rather than at start-up. Not import(): the bundle runs
 * as a function compiled by build/launcher.cjs, which has no loader for it. process.getBuiltinModule
 * came with Node 20.16 and 22.3: Node 21 and 22.0-22.2, which `engines` (>=20.19) admits, lack it,
 * and there a require does the same.
 */
export const builtinModule = ((id: string) => {
  if (typeof process.getBuiltinModule === 'function') return process.getBuiltinModule(id);
  // Any file will do: a built-in module is found the same from everywhere.
  requireBuiltin ??= createRequire(process.execPath);
  return requireBuiltin(id) as object;
}) as typeof process.getBuiltinModule;
