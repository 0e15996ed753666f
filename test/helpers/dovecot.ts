// A private, throwaway Dovecot 2.3 per test file. Never reads /etc/dovecot.
// Mail store: maildir with LAYOUT=fs and '/' separator, so 'Archive/2023' is a real
// directory and names may contain '.' (Maildir++ would forbid '.'). Non-ASCII names are
// stored on disk in mUTF-7 (Grüße -> Gr&APwA3w-e); use `doveadm mailbox path` for paths.
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { renderConf, renderOAuth2Conf, VMAIL, type OAuth2Passdb } from './dovecot-conf.js';
import { alive, freePort, killTree, run, sleep } from './dovecot-proc.js';

export interface SeedMessage { raw: Buffer | string; flags?: string[]; internalDate?: Date }
export interface DovecotStats {
  fetchBodyCount: number; fetchBodyBytes: number; fetchHdrCount: number; fetchHdrBytes: number;
  logins: number; logouts: number; expunged: number;
}
export interface DovecotServer {
  host: string;
  imapsPort: number;
  imapPort: number;
  /** Also serves imapPort, but from the server's view rip != lip, so the session is not
   * "secured": LOGINDISABLED until STARTTLS (unless plaintextAuth). 127.0.0.1->127.0.0.1 is. */
  insecureHost: string;
  dir: string;
  confPath: string;
  certPem: string;
  addUser(user: string, password: string): Promise<void>;
  createFolder(user: string, folder: string): Promise<void>;
  seed(user: string, folder: string, messages: SeedMessage[]): Promise<void>;
  append(user: string, folder: string, raw: Buffer | string): Promise<void>;
  /** Default keeps UIDs (doveadm mailbox update); renumber drops uidlist+index so UIDs restart at 1. */
  resetUidValidity(user: string, folder: string, opts?: { renumber?: boolean }): Promise<void>;
  expunge(user: string, folder: string, uids: number[]): Promise<void>;
  status(user: string, folder: string): Promise<Record<string, string>>;
  fetchRaw(user: string, password: string, folder: string): Promise<Map<number, Buffer>>;
  logText(): Promise<string>;
  /** Summed over ended IMAP sessions (optionally of one user); sessions still open are not counted yet.
   * logouts = ended sessions (LOGOUT or dropped connection). */
  stats(user?: string): Promise<DovecotStats>;
  /** Client command lines after login, from rawlog (*.in); requires startDovecot({ rawlog: true }). */
  commands(user?: string): Promise<string[]>;
  stop(): Promise<void>;
}
export interface DovecotOptions {
  plaintextAuth?: boolean; // disable_plaintext_auth = no (default: LOGIN only over TLS or "secured")
  rawlog?: boolean; // enables commands()
  keep?: boolean; // leave the temp dir after stop() for debugging
  /** Parent of the temp dir. Creating files on this machine's ext4 /tmp costs ~0.6 ms each, on
   * tmpfs (/dev/shm) ~0.02 ms: seeding 5000 messages 3 s vs 0.2 s. */
  tmpRoot?: string;
  /** An oauth2 passdb beside the passwd-file one (auth_mechanisms gain xoauth2 and oauthbearer). */
  oauth2?: OAuth2Passdb;
  /** Offers COMPRESS=DEFLATE (imap_zlib), which imapflow turns on by itself. */
  compress?: boolean;
}

const FLAG_LETTERS: Record<string, string> = { '\\draft': 'D', '\\flagged': 'F', '\\answered': 'R', '\\seen': 'S', '\\deleted': 'T' };

/** "1:3,7" - compact IMAP-style uid set, so thousands of uids fit in one argv entry. */
function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

async function waitReady(port: number, child: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    // imap-login greets "* OK Waiting for authentication process" until auth is up.
    const greeting = await new Promise<string>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      let buf = '';
      s.on('data', (d) => { buf += d; if (buf.includes('ready.')) { s.end('x LOGOUT\r\n'); resolve(buf); } });
      s.on('error', () => resolve(''));
      s.setTimeout(2000, () => { s.destroy(); resolve(buf); });
    });
    if (greeting.includes('ready.')) return;
    await sleep(50);
  }
  const log = await fs.readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => '');
  const out = await fs.readFile(path.join(dir, 'master.out'), 'utf8').catch(() => '');
  throw new Error(`dovecot did not become ready:\n${out}\n${log}`);
}

export async function startDovecot(opts: DovecotOptions = {}): Promise<DovecotServer> {
  const dir = await fs.mkdtemp(path.join(opts.tmpRoot ?? process.env.DOVECOT_TEST_TMPDIR ?? os.tmpdir(), 'dovecot-test-'));
  await fs.chmod(dir, 0o755); // dovenull (login) and uid 5000 (mail) must traverse it
  for (const sub of ['run', 'state', 'users']) await fs.mkdir(path.join(dir, sub));
  for (const sub of ['mail', 'home', 'rawlog']) {
    await fs.mkdir(path.join(dir, sub));
    await fs.chown(path.join(dir, sub), VMAIL, VMAIL);
  }
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '7',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost']);
  const certPem = await fs.readFile(path.join(dir, 'cert.pem'), 'utf8');
  const confPath = path.join(dir, 'dovecot.conf');
  if (opts.oauth2) await fs.writeFile(path.join(dir, 'dovecot-oauth2.conf.ext'), renderOAuth2Conf(opts.oauth2));

  let child: ChildProcess | undefined;
  let imapPort = 0;
  let imapsPort = 0;
  for (let attempt = 0; ; attempt++) { // retry: another worker may grab a "free" port first
    imapPort = await freePort();
    imapsPort = await freePort();
    await fs.writeFile(confPath, renderConf({ dir, imapPort, imapsPort, plaintextAuth: !!opts.plaintextAuth, rawlog: !!opts.rawlog, oauth2: opts.oauth2, compress: !!opts.compress }));
    // The sh wrapper kills dovecot when our stdin pipe closes, i.e. also if node is SIGKILLed.
    const script = 'exec 3<&0; dovecot -F -c "$1" </dev/null 3<&- >"$2" 2>&1 & d=$!; '
      + '{ while read -r _; do :; done; kill -TERM $d 2>/dev/null; } <&3 & wait $d';
    child = spawn('sh', ['-c', script, 'sh', confPath, path.join(dir, 'master.out')], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      await waitReady(imapPort, child, dir);
      break;
    } catch (err) {
      child.stdin?.end();
      await new Promise((r) => child!.exitCode !== null ? r(null) : child!.once('exit', r));
      if (attempt >= 2 || !/Address already in use/.test(String(err))) throw err;
    }
  }
  const wrapper = child;
  const masterPid = Number((await fs.readFile(path.join(dir, 'run', 'master.pid'), 'utf8')).trim());
  const onExit = () => {
    killTree(masterPid);
    if (!opts.keep) try { rmSync(dir, { recursive: true, force: true, maxRetries: 5 }); } catch { /* still in use */ }
  };
  process.on('exit', onExit);

  const users = new Set<string>();
  const doveadm = (args: string[], input?: Buffer | string) => run('doveadm', ['-c', confPath, ...args], input);
  const mailboxPath = async (user: string, folder: string) => (await doveadm(['mailbox', 'path', '-u', user, folder])).trim();
  const status = async (user: string, folder: string): Promise<Record<string, string>> => {
    const line = (await doveadm(['mailbox', 'status', '-u', user, 'all', folder])).trim();
    return Object.fromEntries(line.split(' ').filter((kv) => kv.includes('=')).map((kv) => kv.split('=', 2) as [string, string]));
  };
  const createFolder = async (user: string, folder: string) => { await doveadm(['mailbox', 'create', '-s', '-u', user, folder]); };
  const ensureFolder = async (user: string, folder: string) => {
    const list = (await doveadm(['mailbox', 'list', '-u', user])).split('\n');
    if (!list.includes(folder)) await createFolder(user, folder);
  };
  let seedSeq = 0;
  let stopped = false;

  const server: DovecotServer = {
    host: '127.0.0.1', imapsPort, imapPort, insecureHost: '127.0.0.2', dir, confPath, certPem,
    async addUser(user, password) {
      if (/[:\n/]/.test(user) || /[:\n]/.test(password) || user.startsWith('.')) throw new Error(`unusable user/password: ${user}`);
      const home = path.join(dir, 'home', user);
      await fs.mkdir(home, { recursive: true });
      await fs.chown(home, VMAIL, VMAIL);
      if (opts.rawlog) {
        await fs.mkdir(path.join(dir, 'rawlog', user), { recursive: true });
        await fs.chown(path.join(dir, 'rawlog', user), VMAIL, VMAIL);
      }
      const file = path.join(dir, 'users', user);
      const old = await fs.stat(file).catch(() => undefined);
      await fs.writeFile(`${file}.tmp`, `${user}:{PLAIN}${password}:${VMAIL}:${VMAIL}::${home}::\n`);
      if (old) { // password change: Dovecot compares mtime (seconds) + size, at most once a second
        const mtime = new Date(old.mtimeMs + 1000);
        await fs.utimes(`${file}.tmp`, mtime, mtime);
      }
      await fs.rename(`${file}.tmp`, file); // atomic: a concurrent login never sees half a file
      if (old) await sleep(1020 - (Date.now() % 1000));
      users.add(user);
    },
    createFolder,
    async seed(user, folder, messages) {
      await ensureFolder(user, folder);
      const cur = path.join(await mailboxPath(user, folder), 'cur');
      const firstUid = Number((await status(user, folder)).uidnext);
      // Dovecot assigns UIDs to new files sorted by name: same seconds, zero-padded counter.
      const stamp = `${Math.floor(Date.now() / 1000)}.M${process.pid}Q${seedSeq++}`;
      const keywords = new Map<string, number[]>();
      // Synchronous on purpose: 3x faster than fs/promises for many tiny files (no threadpool hops).
      messages.forEach((msg, i) => {
        const letters = new Set<string>();
        for (const f of msg.flags ?? []) {
          const letter = FLAG_LETTERS[f.toLowerCase()];
          if (letter) letters.add(letter);
          else if (!f.startsWith('\\')) keywords.set(f, [...(keywords.get(f) ?? []), firstUid + i]);
        }
        const file = path.join(cur, `${stamp}_${String(i).padStart(9, '0')}.seed:2,${[...letters].sort().join('')}`);
        writeFileSync(file, msg.raw, { flag: 'wx', mode: 0o600 });
        chownSync(file, VMAIL, VMAIL);
        if (msg.internalDate) utimesSync(file, msg.internalDate, msg.internalDate);
      });
      await doveadm(['force-resync', '-u', user, folder]);
      for (const [kw, uids] of keywords) await doveadm(['flags', 'add', '-u', user, kw, 'mailbox', folder, 'uid', uidSet(uids)]);
    },
    async append(user, folder, raw) {
      await ensureFolder(user, folder);
      await doveadm(['save', '-u', user, '-m', folder], raw);
    },
    async resetUidValidity(user, folder, o = {}) {
      if (!o.renumber) {
        const old = Number((await status(user, folder)).uidvalidity);
        await doveadm(['mailbox', 'update', '-u', user, '--uid-validity', String(old + 1), folder]);
        return;
      }
      const dirPath = await mailboxPath(user, folder);
      for (const f of await fs.readdir(dirPath)) {
        if (f === 'dovecot-uidlist' || f.startsWith('dovecot.index')) await fs.rm(path.join(dirPath, f));
      }
      await doveadm(['force-resync', '-u', user, folder]);
    },
    async expunge(user, folder, uids) {
      if (uids.length > 0) await doveadm(['expunge', '-u', user, 'mailbox', folder, 'uid', uidSet(uids)]);
    },
    status,
    async fetchRaw(user, password, folder) {
      const client = new ImapFlow({
        host: '127.0.0.1', port: imapsPort, secure: true, logger: false,
        auth: { user, pass: password }, tls: { ca: certPem, servername: 'localhost' },
      });
      const out = new Map<number, Buffer>();
      await client.connect();
      try {
        const box = await client.mailboxOpen(folder, { readOnly: true });
        if (box.exists > 0) {
          for await (const msg of client.fetch('1:*', { uid: true, source: true })) {
            if (msg.source) out.set(msg.uid, msg.source);
          }
        }
      } finally { await client.logout(); }
      return out;
    },
    logText: () => fs.readFile(path.join(dir, 'dovecot.log'), 'utf8'),
    async stats(user) {
      const who = user ? user.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '[^>)]*';
      let text = '';
      let ends: string[] = [];
      let logins = 0;
      // A session's end line is written by the log process shortly after its imap process exits;
      // wait for those of exited processes only, so open sessions don't block.
      await sleep(30); // lets log lines of just-finished sessions land
      // A session just logged out may still have its process for a moment: one still alive counts
      // as open only once it has stayed alive for 300 ms (a CI run once read a fetch as missing).
      let openSince: number | undefined;
      for (const deadline = Date.now() + 3000; ; await sleep(20)) {
        text = await server.logText();
        const mpids = [...text.matchAll(new RegExp(`imap-login: Info: Login: user=<${who}>.*mpid=(\\d+)`, 'g'))].map((m) => m[1]!);
        ends = text.match(new RegExp(`imap\\(${who}\\)<\\d+>[^\\n]*Info: Disconnected[^\\n]*body_bytes=\\d+`, 'g')) ?? [];
        const ended = new Set(ends.map((l) => /\)<(\d+)>/.exec(l)?.[1]));
        logins = mpids.length;
        const open = mpids.filter((pid) => !ended.has(pid));
        if (Date.now() > deadline || open.length === 0) break;
        if (!open.every((pid) => alive(Number(pid)))) continue;
        openSince ??= Date.now();
        if (Date.now() - openSince >= 300) break;
      }
      const sum = (key: string) => ends.reduce((n, l) => n + Number(new RegExp(`\\b${key}=(\\d+)`).exec(l)?.[1] ?? 0), 0);
      return {
        fetchBodyCount: sum('body_count'), fetchBodyBytes: sum('body_bytes'),
        fetchHdrCount: sum('hdr_count'), fetchHdrBytes: sum('hdr_bytes'),
        logins, logouts: ends.length, expunged: sum('expunged'),
      };
    },
    async commands(user) {
      if (!opts.rawlog) throw new Error('startDovecot({ rawlog: true }) is required for commands()');
      const lines: string[] = [];
      for (const u of user ? [user] : [...users]) {
        const d = path.join(dir, 'rawlog', u);
        const files = (await fs.readdir(d).catch(() => [] as string[])).filter((f) => f.endsWith('.in')).sort();
        for (const f of files) {
          const text = await fs.readFile(path.join(d, f), 'utf8');
          // rawlog prefixes each line with "<secs>.<usecs> ".
          lines.push(...text.split(/\r?\n/).filter(Boolean).map((l) => l.replace(/^\d+\.\d+ /, '')));
        }
      }
      return lines;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      const pids = killTree(masterPid);
      wrapper.stdin?.end();
      const exited = new Promise((r) => wrapper.exitCode !== null ? r(null) : wrapper.once('exit', r));
      await Promise.race([exited, sleep(5000)]);
      wrapper.kill('SIGKILL');
      for (const deadline = Date.now() + 5000; pids.some(alive);) {
        if (Date.now() > deadline) throw new Error(`dovecot processes survived SIGKILL: ${pids.filter(alive).join(' ')}`);
        await sleep(10);
      }
      if (!opts.keep) await fs.rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}
