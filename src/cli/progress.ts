import { formatBytes } from '../core/summary.js';
import type { BackupEvent } from '../engine/events.js';
import type { Logger } from './logger.js';

/** Turns engine events into log lines: what an admin reads the next morning. */
export function logEvent(log: Logger, e: BackupEvent): void {
  switch (e.type) {
    case 'mailbox-start':
      log.info(`${e.mailbox}: connecting`);
      break;
    case 'folders-resolved':
      log.info(`${e.mailbox}: folders ${e.folders.map((f) => (f.spec === f.path ? f.path : `${f.spec} → ${f.path}`)).join(', ') || '(none)'}`);
      break;
    case 'folder-plan':
      if (e.fast) log.debug(`${e.mailbox} / ${e.folder}: nothing new (${e.present} present)`);
      else log.info(`${e.mailbox} / ${e.folder}: ${e.toDownload} to download, ${e.present} already present${e.parts ? ` (part ${e.part} of ${e.parts})` : ''}`);
      break;
    case 'message-saved':
      log.debug(() => `${e.mailbox} / ${e.folder}: saved ${e.fileName} (${formatBytes(e.bytes)})`);
      break;
    case 'folder-done': {
      const r = e.report;
      if (r.error) log.error(`${e.mailbox} / ${r.folder}: ${r.error}`);
      else log.info(`${e.mailbox} / ${r.folder}: ${r.newCount} new, ${r.present} present, ${formatBytes(r.bytes)} in ${r.seconds.toFixed(1)} s`);
      break;
    }
    case 'retry':
      log.warn(`${e.mailbox}${e.folder ? ` / ${e.folder}` : ''}: ${e.reason}; reconnecting in ${(e.delayMs / 1000).toFixed(1)} s (try ${e.attempt + 1})`);
      break;
    case 'warning':
      log.warn(`${e.mailbox}${e.folder ? ` / ${e.folder}` : ''}: ${e.message}`);
      break;
    case 'mailbox-done':
      if (e.report.error) log.error(`${e.report.mailbox}: FAILED: ${e.report.error}`);
      else log.success(`${e.report.mailbox}: done in ${e.report.seconds.toFixed(1)} s`);
      break;
  }
}
