import fs from 'node:fs';
import type { MailboxConfig } from '../core/config-types.js';
import { describeError } from '../core/errors.js';
import { formatBytes } from '../core/summary.js';
import { OAuth2Error, oauthLoginAdvice } from '../core/oauth2-advice.js';

/** The reason a mailbox failed, phrased as what the admin should check. */
export function mailboxAdvice(mb: MailboxConfig, err: unknown): string {
  const e = err as { authenticationFailed?: boolean; code?: string; serverResponseCode?: string; message?: string };
  const where = `${mb.host}:${mb.port}`;
  if (err instanceof OAuth2Error) return err.message;
  // Not a wrong password: the server takes logins only over TLS (tls: none against a plain port).
  if (e?.authenticationFailed && /Login is disabled/i.test(e.message ?? '')) {
    return `${where} accepts no login without TLS (it announces LOGINDISABLED), so the password was not sent: set tls: starttls for ${mb.address}, or use the TLS port (993) with tls: implicit`;
  }
  if (e?.authenticationFailed && e.serverResponseCode === 'PRIVACYREQUIRED') {
    return `${where} refuses logins without TLS: set tls: starttls for ${mb.address}, or use the TLS port (993) with tls: implicit`;
  }
  if (e?.authenticationFailed && mb.oauth2) return oauthLoginAdvice({ ...mb, oauth2: mb.oauth2 });
  if (e?.authenticationFailed) return `login refused for "${mb.login}" at ${where}: check the password of ${mb.address} in the mailbox list (and UserFullEmail: true/false)`;
  if (e?.code === 'ECONNREFUSED') return `nothing answers at ${where}: check imapHost and imapPort of ${mb.address}`;
  if (e?.code === 'ENOTFOUND' || e?.code === 'EAI_AGAIN') return `the host name ${mb.host} cannot be resolved: check imapHost of ${mb.address}`;
  const text = describeError(err);
  if (e?.code === 'GREETING_TIMEOUT' && mb.tls !== 'implicit') return `${where} sent no greeting: if this port expects TLS from the start (like 993), set tls: implicit for ${mb.address}`;
  // OpenSSL's answer to a server that greets in plain text where TLS was expected.
  if (mb.tls === 'implicit' && /WRONG_VERSION_NUMBER|wrong version number|packet length too long|unknown protocol/i.test(text)) {
    return `${where} does not speak TLS from the start: set imapPort to its TLS port (993), or keep this port with tls: starttls for ${mb.address}`;
  }
  if (/certificate|self[- ]signed|CERT_|unable to verify/i.test(text)) {
    return `the TLS certificate of ${where} is not trusted (${text}): give its CA with tlsCaFile, or set tlsRejectUnauthorized: false if you accept the risk`;
  }
  if (/STARTTLS/i.test(text)) return `${where} does not offer STARTTLS, so the password would travel unencrypted (${text}): use port 993, or tls: none with allowInsecure: true if you accept the risk`;
  return `${text} (${where})`;
}

/** A full disk (or quota) under the process folder, as advice with the free space; else undefined. */
export function diskFullAdvice(err: unknown, processFolder: string): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'ENOSPC' && code !== 'EDQUOT') return undefined;
  let free = '';
  try {
    const s = fs.statfsSync(processFolder);
    free = ` (${formatBytes(s.bavail * s.bsize)} free)`;
  } catch {
    // The figure is a courtesy; the advice stands without it.
  }
  const what = code === 'EDQUOT' ? 'the disk quota' : 'the disk';
  return `${what} of the process folder ${processFolder} is full${free}: free space there, or set storage.processFolderFullPath to a larger disk. No message was saved in part; the next run downloads the rest`;
}
