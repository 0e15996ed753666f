import path from 'node:path';
import fs from 'node:fs';
import type { AppConfig } from '../core/config-types.js';
import type { ArchiveReport } from '../core/report.js';
import { archiveFileName, partialVerdict, planRetention, type ArchiveFile, type RetentionPolicy } from '../core/retention.js';
import { describeError } from '../core/errors.js';
import { listOutputFolder, removeArchives } from '../io/output-folder.js';
import { forgetArchiving } from '../io/archiving-note.js';

export interface StageEvent {
  level: 'info' | 'warn' | 'error' | 'debug';
  message: string;
}

export type Rolling = NonNullable<ArchiveReport['rolling']>;

export type TidyOptions = Pick<RollOptions, 'now' | 'dryRun' | 'emit' | 'result' | 'ownArchives'>;

/**
 * The `.partial` files in the output folder. This run holds the process folder's lock and has
 * finished its own archive, so one this folder's runs noted is a dead run's. Any other may be
 * another configuration's archive being written into the same output folder: deleted only once
 * stale. Runs also when rolling waits: a leftover is no archive.
 */
export async function tidyPartials(config: AppConfig, opts: TidyOptions, listed?: ArchiveFile[]): Promise<void> {
  let partials = listed;
  try {
    partials ??= (await listOutputFolder(config.outputFolder)).partials;
  } catch {
    return;
  }
  const gone: string[] = [...opts.ownArchives].filter((n) => !partials.some((p) => p.name === n));
  for (const p of partials) {
    const verdict = partialVerdict(p.name, p.mtime, opts.ownArchives, opts.now, config.lockStaleMs);
    if (verdict === 'keep') {
      opts.emit({ level: 'info', message: `left ${p.name} alone: another configuration may be writing it into this output folder (it is deleted once untouched for ${Math.round(config.lockStaleMs / 3_600_000)} h, lockStaleHours)` });
      continue;
    }
    const why = verdict === 'ours' ? 'left over from an interrupted run' : 'left over from an interrupted run long ago';
    if (opts.dryRun) {
      opts.emit({ level: 'info', message: `would delete ${p.name}, ${why}` });
      continue;
    }
    try {
      await fs.promises.rm(path.join(config.outputFolder, p.name), { force: true });
      opts.emit({ level: 'info', message: `deleted ${p.name}, ${why}` });
      if (verdict === 'ours') gone.push(p.name);
    } catch (err) {
      addWarnings(opts.result, [`cannot delete ${p.name}, ${why} (${describeError(err)})`], opts.emit);
    }
  }
  if (!opts.dryRun) await forgetArchiving(config.processFolder, gone).catch(() => undefined);
}

export interface RollOptions {
  now: Date;
  dryRun: boolean;
  /** This run's archive (never deleted); 'next' in a dry run: the one a real run would write. */
  newArchive: string | 'next' | undefined;
  emit: (e: StageEvent) => void;
  result: ArchiveReport;
  /** `.partial` names this process folder's runs created and never finished (archiving-note.ts). */
  ownArchives: ReadonlySet<string>;
}

export function addWarnings(result: ArchiveReport, lines: string[], emit: (e: StageEvent) => void): void {
  if (lines.length === 0) return;
  result.warnings = [...(result.warnings ?? []), ...lines];
  for (const message of lines) emit({ level: 'warn', message });
}

export function describePolicy(p: RetentionPolicy): string {
  if (p.method === 'DAYS') return p.days === 0 ? 'DAYS, deleteOlderBackupThanDays 0: delete nothing' : `DAYS, keep the last ${p.days} day${p.days === 1 ? '' : 's'}`;
  return p.items === 0 ? 'ITEMS, deleteBackupsItemsToKeep 0: delete nothing' : `ITEMS, keep the newest ${p.items}`;
}

/** Rolling over the output folder: only the tool's own archives, never `.partial` or foreign files. */
export async function rollArchives(config: AppConfig, opts: RollOptions): Promise<Rolling> {
  const policy: RetentionPolicy = { method: config.rollingMethod, days: config.deleteOlderBackupThanDays, items: config.deleteBackupsItemsToKeep };
  const rolling: Rolling = { method: policy.method, removed: [], kept: [] };
  let listing;
  try {
    listing = await listOutputFolder(config.outputFolder);
  } catch (err) {
    addWarnings(opts.result, [`rolling: cannot list ${config.outputFolder} (${describeError(err)})`], opts.emit);
    rolling.skipped = 'the output folder cannot be listed';
    return rolling;
  }
  await tidyPartials(config, opts, listing.partials);
  const justWritten = opts.newArchive === 'next' ? archiveFileName(opts.now) : opts.newArchive;
  const archives = opts.newArchive === 'next' && justWritten ? [...listing.archives, { name: justWritten }] : listing.archives;
  const plan = planRetention(archives, policy, opts.now, justWritten);
  rolling.kept = plan.keep;
  if (plan.halted) {
    addWarnings(opts.result, [`rolling: nothing deleted, ${plan.halted}`], opts.emit);
    rolling.skipped = 'the clock looks wrong';
    return rolling;
  }
  const verb = opts.dryRun ? 'would delete' : 'deleting';
  for (const name of plan.remove) opts.emit({ level: 'info', message: `Rolling (${describePolicy(policy)}): ${verb} ${name}: ${plan.reasons[name]}` });
  for (const name of plan.keep) {
    const reason = name === justWritten && opts.newArchive === 'next' ? "this run's archive" : plan.reasons[name];
    opts.emit({ level: opts.dryRun ? 'info' : 'debug', message: `Rolling (${describePolicy(policy)}): ${opts.dryRun ? 'would keep' : 'keeping'} ${name}: ${reason}` });
  }
  if (opts.dryRun) {
    rolling.removed = plan.remove;
    return rolling;
  }
  const done = await removeArchives(config.outputFolder, plan.remove);
  rolling.removed = done.removed;
  addWarnings(opts.result, done.problems.map((p) => `rolling: ${p}`), opts.emit);
  return rolling;
}
