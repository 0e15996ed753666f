import path from 'node:path';
import type { AppConfig } from '../core/config-types.js';
import { initCommand, programName } from '../core/init-command.js';
import { loadConfig, locateConfig } from '../io/config-files.js';
import { binaryDir } from './program.js';
import { Logger } from './logger.js';

/** Flags every command shares, declared once. */
export const sharedArgs = {
  config: { type: 'string', description: 'Path of configuration.yml (default: beside the executable, then the working directory)', valueHint: 'file' },
  verbose: { type: 'boolean', description: 'Log every message saved, and stack traces of unexpected errors', default: false },
} as const;

export const mailboxArgs = {
  mailbox: { type: 'string', description: 'Only this mailbox address (repeatable)', valueHint: 'address' },
  'dry-run': { type: 'boolean', description: 'Say what would be downloaded; write nothing', default: false },
} as const;

export function listArg(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
  if (typeof value === 'string') return value.split(',').map((v) => v.trim()).filter(Boolean);
  return [];
}

export interface CommandContext {
  log: Logger;
  config: AppConfig;
}

/** `warn`: false for `run`, which says the warnings in its log, after it may have started again. */
export function loadContext(args: { config?: string | undefined; verbose?: boolean | undefined }, log = new Logger(!!args.verbose), warn = true): CommandContext {
  const dir = binaryDir();
  const file = locateConfig(args.config, dir);
  // Plain `init` writes beside the executable, else into the working directory: --config only when that is not here.
  const plain = file === path.join(dir ?? process.cwd(), 'configuration.yml');
  const program = programName(dir);
  const config = loadConfig(file, process.env, initCommand(program, plain ? undefined : file), program);
  log.addSecrets(config.secrets);
  if (warn) for (const w of config.warnings ?? []) log.warn(w);
  return { log, config };
}
