import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/core/config.js';
import { ConfigError } from '../../src/core/errors.js';

const MAIN = { common: {}, storage: {} };

function build(mailbox: Record<string, unknown>, env: Record<string, string> = {}, files: Record<string, string> = {}) {
  return buildConfig({ main: MAIN, mailboxListPath: '/cfg/mailboxes_to_backup.yml', mailboxes: { 'office@contoso.com': { imapHost: 'outlook.office365.com', imapFolder: '*', ...mailbox } } }, {
    configPath: '/cfg/configuration.yml',
    env,
    readTextFile: (p) => files[p],
  });
}

function issues(mailbox: Record<string, unknown>, env: Record<string, string> = {}): string[] {
  try {
    build(mailbox, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.key}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('oauth2 in the mailbox list', () => {
  it('microsoft-client-credentials: Microsoft\'s endpoint and scope by default, secret from the environment', () => {
    const c = build({ oauth2: { kind: 'microsoft-client-credentials', tenantId: 'contoso.onmicrosoft.com', clientId: 'app-1', clientSecret: '${M365_SECRET}' } }, { M365_SECRET: 'very-secret-value' });
    const mb = c.mailboxes[0];
    expect(mb?.password).toBe('');
    expect(mb?.oauth2).toEqual({
      kind: 'microsoft-client-credentials', tenantId: 'contoso.onmicrosoft.com', clientId: 'app-1', clientSecret: 'very-secret-value',
      tokenUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token', scope: 'https://outlook.office365.com/.default',
    });
    expect(c.secrets).toContain('very-secret-value');
  });

  it('refresh-token: everything given, secrets from files, no scope unless given', () => {
    const c = build({ oauth2: { kind: 'refresh-token', tokenUrl: 'https://oauth2.googleapis.com/token', clientId: 'cid.apps.googleusercontent.com', clientSecretFile: 'secret.txt', refreshTokenFile: 'rt.txt' } }, {}, {
      '/cfg/secret.txt': 'GOCSPX-abc\n', '/cfg/rt.txt': '1//0refresh\r\n',
    });
    expect(c.mailboxes[0]?.oauth2).toEqual({ kind: 'refresh-token', tokenUrl: 'https://oauth2.googleapis.com/token', clientId: 'cid.apps.googleusercontent.com', clientSecret: 'GOCSPX-abc', refreshToken: '1//0refresh', scope: '' });
    expect(c.secrets).toEqual(expect.arrayContaining(['GOCSPX-abc', '1//0refresh']));
  });

  it('collects every mistake with the key and what to write', () => {
    expect(issues({ password: 'pw', oauth2: { kind: 'microsoft-client-credentials', clientId: 'a', clientSecret: 'b' } })).toEqual([
      expect.stringMatching(/^office@contoso\.com\.oauth2: is given together with password/),
      expect.stringMatching(/^office@contoso\.com\.oauth2\.tenantId: is missing/),
    ]);
    expect(issues({ oauth2: { kind: 'google' } })[0]).toMatch(/oauth2\.kind: expected one of 'microsoft-client-credentials', 'refresh-token'/);
    expect(issues({ oauth2: {} })[0]).toMatch(/oauth2\.kind: is missing/);
    expect(issues({ oauth2: 'token' })[0]).toMatch(/oauth2: expected a section with kind/);
    const refresh = issues({ oauth2: { kind: 'refresh-token', tokenUrl: 'http://example.org/token', clientId: 'x', client_secret: 'y', refreshToken: '${NOPE}' } });
    expect(refresh).toEqual(expect.arrayContaining([
      expect.stringMatching(/oauth2\.client_secret: is not a key of kind refresh-token; expected .*clientSecret/),
      expect.stringMatching(/oauth2\.tokenUrl: expected an https:\/\/ URL/),
      expect.stringMatching(/oauth2\.refreshToken: refers to the environment variable NOPE, which is not set/),
    ]));
    expect(issues({ oauth2: { kind: 'refresh-token', tokenUrl: 'https://t/token', clientId: 'x' } })).toEqual([expect.stringMatching(/oauth2\.refreshToken: is missing; give refreshToken, refreshToken: \$\{ENV_NAME\} or refreshTokenFile/)]);
    expect(issues({ oauth2: { kind: 'microsoft-client-credentials', tenantId: 'x/../evil', clientId: 'a', clientSecret: 'b' } })[0]).toMatch(/tenantId: expected the directory \(tenant\) ID/);
  });

  // Found in review: `clientSecret: ~` said "is missing" beside `tenantId: ~` "is empty", the very
  // mix-up the password's message was fixed for; and a variable set to nothing was "not set".
  it('a secret key written without a value is empty, not missing, and says how to write it', () => {
    const ms = { kind: 'microsoft-client-credentials', tenantId: 'contoso.onmicrosoft.com', clientId: 'app-1' };
    const rt = { kind: 'refresh-token', tokenUrl: 'https://t/token', clientId: 'x', clientSecret: 'y' };
    const empty = (key: string, file: string) => `office@contoso.com.oauth2.${key}: is empty: after "${key}:" YAML reads nothing, ~ and null as no value. Write it in single quotes, or give ${key}: '\${ENV_NAME}' or ${file}`;
    for (const value of [null, '']) {
      expect(issues({ oauth2: { ...ms, clientSecret: value } })).toEqual([empty('clientSecret', 'clientSecretFile')]);
      expect(issues({ oauth2: { ...rt, refreshToken: value } })).toEqual([empty('refreshToken', 'refreshTokenFile')]);
      expect(issues({ oauth2: { ...ms, clientSecretFile: value } })).toEqual([
        "office@contoso.com.oauth2.clientSecretFile: is empty; give the path of the file that holds the clientSecret (relative to the configuration's folder), or write it itself: clientSecret: '…'",
      ]);
      expect(issues({ oauth2: { ...ms, kind: value } })).toEqual(["office@contoso.com.oauth2.kind: is empty; expected 'microsoft-client-credentials' or 'refresh-token'"]);
    }
    // A refresh-token client may have no secret (a public client): empty is no secret, as before.
    expect(build({ oauth2: { ...rt, clientSecret: null, refreshToken: 'r' } }).mailboxes[0]?.oauth2?.clientSecret).toBe('');
    expect(issues({ oauth2: { ...rt, refreshToken: '${RT}' } }, { RT: '' })).toEqual([
      'office@contoso.com.oauth2.refreshToken: refers to the environment variable RT, which is set but empty',
    ]);
  });

  it('a mailbox without oauth2 still needs its password', () => {
    expect(issues({})[0]).toMatch(/password: is missing/);
  });
});
