import type { ImapFlowOptions } from 'imapflow';
import type { MailboxConfig } from '../core/config-types.js';
import { accessToken } from './oauth2-token.js';

/**
 * The login imapflow is given: the password, or an OAuth2 access token (imapflow then uses
 * OAUTHBEARER where offered, else XOAUTH2). `refused` is the login the server just turned down,
 * so its token is replaced rather than reused.
 */
export async function imapAuth(mb: MailboxConfig, refused?: ImapFlowOptions['auth']): Promise<ImapFlowOptions['auth']> {
  if (!mb.oauth2) return { user: mb.login, pass: mb.password };
  return { user: mb.login, accessToken: await accessToken(mb.oauth2, mb.tlsOptions, refused?.accessToken) };
}
