/**
 * imapflow guesses a role from a folder's last name part at any depth when the server flags none:
 * `Restored/Sent` passed for the Sent folder, and a restore went there instead of making `Sent`
 * (found in review). A guess by name counts only at the top or directly below INBOX (`INBOX.Sent`
 * on servers that nest everything there); a role the server flags always does.
 */
export function trustedSpecialUse(f: { specialUse?: string | undefined; specialUseSource?: string | undefined; parent?: string[] | undefined }): string | undefined {
  if (f.specialUseSource !== 'name') return f.specialUse;
  const parent = f.parent ?? [];
  return parent.length === 0 || (parent.length === 1 && parent[0]?.toUpperCase() === 'INBOX') ? f.specialUse : undefined;
}
