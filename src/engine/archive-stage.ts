import path from 'node:path';
import type { AppConfig } from '../core/config-types.js';
import { describeError } from '../core/errors.js';
import { mailboxFailed, type ArchiveReport, type RunReport } from '../core/report.js';
import { formatBytes } from '../core/summary.js';
import type { Reservation } from '../io/archive-writer.js';
import type { ExpectedEntries } from '../io/archive-verify.js';
import { collectNow, expectItems } from '../io/memory.js';
import type { FileList } from '../io/process-tree.js';
import { forgetArchiving, noteArchiving, readArchiving } from '../io/archiving-note.js';
import { addWarnings, rollArchives, tidyPartials, type StageEvent } from './rolling.js';

export type { StageEvent } from './rolling.js';

export interface ArchiveStageOptions {
  dryRun: boolean;
  now?: Date;
  signal?: AbortSignal;
  onEvent?: (e: StageEvent) => void;
  /** The run was limited to some mailboxes (`--mailbox`). */
  someMailboxesOnly?: boolean;
}

/**
 * After the downloads: zip → verify → clean → roll, each step only when the one before it left a
 * verified archive, so a failing night can neither empty the process folder nor rotate away the
 * last good archives. Runs even when some mailboxes failed: what was backed up is worth keeping.
 * Never throws; what went wrong is in the returned report.
 */
export async function archiveStage(config: AppConfig, report: RunReport, opts: ArchiveStageOptions): Promise<ArchiveReport> {
  const started = Date.now();
  const now = opts.now ?? new Date();
  const emit = opts.onEvent ?? (() => undefined);
  const result: ArchiveReport = { entries: 0, bytes: 0, archiveBytes: 0, seconds: 0, verified: false };
  const finish = () => ((result.seconds = (Date.now() - started) / 1000), result);
  const hold = rollingHold(config, report, opts.someMailboxesOnly ?? false);
  const roll = async (newArchive: string | undefined, dryRun: boolean) => {
    // Read after this run's own archive is committed or discarded, and forgotten.
    const ownArchives = await readArchiving(config.processFolder);
    if (hold) {
      await tidyPartials(config, { now, dryRun, emit, result, ownArchives });
      emit({ level: hold.level, message: `Rolling skipped: ${hold.why}; old archives are left as they are` });
      return { method: config.rollingMethod, removed: [], kept: [], skipped: hold.why };
    }
    return rollArchives(config, { now, dryRun, newArchive, emit, result, ownArchives });
  };
  if (opts.dryRun) {
    result.rolling = await roll('next', true);
    return finish();
  }
  let files: FileList | undefined;
  if (config.archiveToZip) {
    try {
      // The zip writer, its workers and the verifier are loaded by the runs that archive only:
      // most of the start-up of a run that does not, which needs none of them.
      const { listOwnFiles } = await import('../io/process-tree.js');
      files = await listOwnFiles(config.processFolder);
      // Before the collection, which then sets the old generation's next limit by the large-run step.
      expectItems(files.length);
      collectNow();
      if (files.links.length > 0) addWarnings(result, [linksWarning(config.processFolder, files.links)], emit);
      if (files.length === 0) result.skipped = `nothing to archive: ${config.processFolder} holds no backed-up messages`;
      else await makeArchive(config, files, now, opts, result, emit);
    } catch (err) {
      result.error = archiveAdvice(err, config.outputFolder);
    }
    if (result.error) emit({ level: 'error', message: `Archive FAILED: ${result.error}. The process folder was not cleaned and no old archive was deleted.` });
    if (result.skipped) emit({ level: 'info', message: `No archive made: ${result.skipped}; old archives are left as they are` });
  }
  if (opts.signal?.aborted || result.error || result.skipped) {
    result.rolling = { method: config.rollingMethod, removed: [], kept: [], skipped: result.error ? 'the archive failed' : opts.signal?.aborted ? 'interrupted' : 'no archive was made' };
    return finish();
  }
  if (config.cleanProcessFolder) {
    if (!result.verified || !files) {
      emit({ level: 'warn', message: 'cleanProcessFolder is True but archiveToZip is False: nothing was cleaned, the messages would exist nowhere else' });
    } else {
      const { cleanProcessFolder } = await import('../io/cleaner.js');
      const cleaned = await cleanProcessFolder(config.processFolder, files);
      result.cleanedFiles = cleaned.removedFiles;
      addWarnings(result, cleaned.problems.map((p) => `cleaning: ${p}`), emit);
      emit({ level: 'info', message: `Cleaned ${config.processFolder}: ${cleaned.removedFiles} files and ${cleaned.removedFolders} folders removed; the next run downloads everything again` });
    }
  }
  result.rolling = await roll(result.path ? path.basename(result.path) : undefined, false);
  return finish();
}

/**
 * Why rolling must not run after this run, if it must not. Without an archive it never runs (see
 * archiveStage). With cleanProcessFolder each archive is a whole snapshot and the only copy of
 * the mail in it: one that lacks a mailbox (it failed, or the run was limited with --mailbox)
 * must not count as one of the newest N, nor push out the last archive that has that mailbox.
 * Without cleaning, the process folder keeps every mailbox's earlier files, and so does the new
 * archive. Pure.
 */
export function rollingHold(config: Pick<AppConfig, 'archiveToZip' | 'cleanProcessFolder'>, report: Pick<RunReport, 'mailboxes'>, someMailboxesOnly: boolean): { why: string; level: 'info' | 'warn' } | undefined {
  if (!config.archiveToZip) return { why: 'archiveToZip is False, so this run made no archive', level: 'info' };
  if (!config.cleanProcessFolder) return undefined;
  const failed = report.mailboxes.filter(mailboxFailed).map((m) => m.mailbox);
  if (failed.length > 0) {
    const who = failed.length === 1 ? `${failed[0]} was` : `${failed.length} mailboxes (${failed.slice(0, 3).join(', ')}${failed.length > 3 ? ', …' : ''}) were`;
    return { why: `${who} not fully backed up, and with cleanProcessFolder True the older archives may hold the only copy of that mail`, level: 'warn' };
  }
  if (someMailboxesOnly) return { why: 'the run was limited with --mailbox, and with cleanProcessFolder True the older archives hold the only copy of the other mailboxes', level: 'info' };
  return undefined;
}

async function makeArchive(config: AppConfig, files: FileList, now: Date, opts: ArchiveStageOptions, result: ArchiveReport, emit: (e: StageEvent) => void): Promise<void> {
  const [{ commitArchive, discardArchive, reserveArchive, writeArchive }, { verifyArchive }] = await Promise.all([import('../io/archive-writer.js'), import('../io/archive-verify.js')]);
  const reservation: Reservation = await reserveArchive(config.outputFolder, now, {
    claim: (name) => noteArchiving(config.processFolder, name),
    release: (name) => forgetArchiving(config.processFolder, [name]),
  });
  const done = () => forgetArchiving(config.processFolder, [path.basename(reservation.partialPath)]).catch(() => undefined);
  try {
    emit({ level: 'info', message: `Archive: ${files.length} files (${formatBytes(files.totalBytes)}) into ${reservation.finalPath}` });
    const written = await writeArchive(reservation.partialPath, config.processFolder, files, { compressionLevel: config.zipCompressionLevel, signal: opts.signal });
    throwIfAborted(opts.signal);
    collectNow();
    const expected: ExpectedEntries = {
      length: files.length,
      at: (i) => {
        const f = files.at(i);
        return f && { name: f.name, size: f.size, crc32: written.crc32[i] ?? 0 };
      },
    };
    const check = await verifyArchive(reservation.partialPath, { expected, fullRead: config.verifyArchive, signal: opts.signal });
    throwIfAborted(opts.signal);
    if (check.problems.length > 0) {
      throw new Error(`the archive did not verify, so it was deleted (${check.problems.slice(0, 3).join('; ')}${check.problems.length > 3 ? '; …' : ''}). Check the disk of ${config.outputFolder}`);
    }
    await commitArchive(reservation);
    await done();
    Object.assign(result, { path: reservation.finalPath, entries: check.entries, bytes: check.bytes, archiveBytes: check.archiveBytes, verified: true });
    const how = config.verifyArchive ? 'every entry read back, CRCs match' : 'central directory checked';
    emit({ level: 'info', message: `Archive ${reservation.finalPath}: ${check.entries} entries, ${formatBytes(check.bytes)} → ${formatBytes(check.archiveBytes)}, verified (${how})` });
  } catch (err) {
    await discardArchive(reservation);
    await done();
    throw err;
  }
}

/** Links are never followed, so that neither the archive nor the cleaning reaches outside the process folder. */
function linksWarning(processFolder: string, links: string[]): string {
  const shown = links.slice(0, 3).join(', ') + (links.length > 3 ? `, and ${links.length - 3} more` : '');
  return `${links.length === 1 ? 'a symbolic link (or junction) in' : `${links.length} symbolic links (or junctions) in`} ${processFolder} ${links.length === 1 ? 'was' : 'were'} not archived: ${shown}. Links are not followed; make ${links.length === 1 ? 'it a real folder' : 'them real folders'}, or set storage.processFolderFullPath to the disk where the mail should be`;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('interrupted'), { name: 'AbortError' });
}

/** What the admin should do about an archive failure. */
export function archiveAdvice(err: unknown, outputFolder: string): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EEXIST' || code === 'ENOTDIR') return `the output folder ${outputFolder} cannot be created because a file is in the way: move that file, or set storage.outputFolderFullPath in configuration.yml to a folder`;
  const where = (err as NodeJS.ErrnoException)?.path ?? outputFolder;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return `no permission to use ${where}: give the account that runs the backup access to it, or set storage.outputFolderFullPath to another folder`;
  if (code === 'ENOSPC' || code === 'EDQUOT') return `the disk of ${outputFolder} is full: free space there, or keep fewer archives (deleteBackupsItemsToKeep / deleteOlderBackupThanDays)`;
  if ((err as Error)?.name === 'AbortError') return 'interrupted while writing the archive, so no archive was kept';
  return describeError(err);
}
