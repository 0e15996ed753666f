import type { MailboxConfig, OAuth2Config } from './config-types.js';

/** The token endpoint refused or could not be reached; the message is the advice. */
export class OAuth2Error extends Error {
  constructor(
    message: string,
    /** Set for network errors, so a dropped connection is retried like an IMAP one. */
    readonly code?: string | undefined,
    /** The endpoint answered (4xx): asking again in this run gives the same answer. */
    readonly final = false,
  ) {
    super(message);
    this.name = 'OAuth2Error';
  }
}

export function credentialName(c: OAuth2Config): string {
  return c.kind === 'microsoft-client-credentials' ? `client ${c.clientId} of tenant ${c.tenantId}` : `client ${c.clientId}`;
}

/** What the token endpoint's refusal means, and what to change (RFC 6749 §5.2 error codes). */
export function tokenRefusal(c: OAuth2Config, status: number, body: string): OAuth2Error {
  let error = '';
  let description = '';
  try {
    const json = JSON.parse(body) as { error?: unknown; error_description?: unknown };
    error = typeof json.error === 'string' ? json.error : '';
    description = typeof json.error_description === 'string' ? json.error_description : '';
  } catch {
    description = body.replace(/<[^>]*>/g, ' ');
  }
  // Microsoft appends trace and correlation ids on further lines: the first line is the reason.
  const reason = description.split(/\r?\n/)[0]?.replace(/\s+/g, ' ').trim().slice(0, 300) ?? '';
  const said = `HTTP ${status}${error ? ` ${error}` : ''}${reason ? ` ("${reason}")` : ''}`;
  return new OAuth2Error(`OAuth2 sign-in with ${credentialName(c)} failed: the token endpoint ${c.tokenUrl} answered ${said}: ${refusalAdvice(c, status, error, reason)}`, undefined, status >= 400 && status < 500);
}

function refusalAdvice(c: OAuth2Config, status: number, error: string, reason: string): string {
  const microsoft = c.kind === 'microsoft-client-credentials';
  if (/AADSTS90002|AADSTS900023|tenant/i.test(reason) && microsoft) return `check tenantId (the Directory (tenant) ID on the Overview page of the app registration in Microsoft Entra)`;
  if (error === 'invalid_client' || /AADSTS7000215|AADSTS7000222|AADSTS700016/.test(reason)) {
    return microsoft
      ? 'check clientId (Application (client) ID) and clientSecret (the secret\'s Value, not its ID); a client secret expires: make a new one under Certificates & secrets of the app registration'
      : 'check clientId and clientSecret of the OAuth client (for Google: APIs & Services → Credentials)';
  }
  if (error === 'invalid_grant') {
    return microsoft
      ? 'check tenantId and that an administrator granted consent to the app'
      : 'the refresh token has expired or was revoked (password change, consent removed, unused for months, or a Google app still in "Testing" after 7 days): obtain a new one and put it in refreshToken';
  }
  if (error === 'unauthorized_client') {
    return microsoft
      ? 'the app may not get tokens for itself: give it the application permission Office 365 Exchange Online → IMAP.AccessAsApp and grant admin consent'
      : 'this OAuth client may not use refresh tokens: check its type in the provider\'s console';
  }
  if (error === 'invalid_scope') return `check scope (Microsoft 365: https://outlook.office365.com/.default; Gmail: https://mail.google.com/)`;
  if (status === 404) return `check tokenUrl${microsoft ? ' and tenantId' : ''}`;
  if (status >= 500) return 'the identity provider has a problem; the next run tries again';
  return `check the oauth2 settings (tokenUrl, clientId, clientSecret${microsoft ? ', tenantId' : ', refreshToken'})`;
}

/** The endpoint could not be asked at all: network, DNS or its certificate. */
export function tokenUnreachable(c: OAuth2Config, err: unknown): OAuth2Error {
  const e = err as { message?: string; code?: unknown };
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const text = `${e?.message ?? String(err)}${code && !(e?.message ?? '').includes(code) ? ` [${code}]` : ''}`;
  const advice = /certificate|self[- ]signed|CERT_|unable to verify/i.test(text)
    ? 'its TLS certificate is not trusted: give its CA with tlsCaFile of the mailbox'
    : 'check tokenUrl, and that this machine may connect to it (DNS, firewall, proxy)';
  return new OAuth2Error(`OAuth2 sign-in with ${credentialName(c)} failed: the token endpoint ${c.tokenUrl} cannot be reached (${text}): ${advice}`, code);
}

/** The IMAP server refused a token the endpoint issued: a permission, not a secret, is missing. */
export function oauthLoginAdvice(mb: MailboxConfig & { oauth2: OAuth2Config }): string {
  const where = `${mb.host}:${mb.port}`;
  if (mb.oauth2.kind === 'microsoft-client-credentials') {
    return `${where} refused the OAuth2 token of ${credentialName(mb.oauth2)} for "${mb.login}": the app needs IMAP.AccessAsApp with admin consent, and its service principal access to this mailbox (Exchange Online PowerShell: New-ServicePrincipal, then Add-MailboxPermission -Identity ${mb.address} -User <service principal object id> -AccessRights FullAccess); changes take up to an hour`;
  }
  return `${where} refused the OAuth2 token of ${credentialName(mb.oauth2)} for "${mb.login}": the refresh token must belong to this mailbox's account and carry the IMAP scope (Gmail: https://mail.google.com/; Microsoft: https://outlook.office365.com/IMAP.AccessAsUser.All offline_access)`;
}
