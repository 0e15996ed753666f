// Process plumbing for the test Dovecot (see dovecot.ts).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

export function run(cmd: string, args: string[], input?: Buffer | string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => code === 0 ? resolve(Buffer.concat(out).toString('utf8'))
      : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString('utf8').trim()}`)));
    child.stdin.on('error', () => { /* EPIPE if it exits early; the exit code tells */ });
    child.stdin.end(input ?? '');
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** All transitive children of pid, from /proc (dovecot children don't carry the conf path). */
export function descendants(pid: number): number[] {
  const kids = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      kids.set(ppid, [...(kids.get(ppid) ?? []), Number(name)]);
    } catch { /* exited meanwhile */ }
  }
  const out: number[] = [];
  for (let todo = [pid]; todo.length > 0;) {
    const next = kids.get(todo.pop()!) ?? [];
    out.push(...next);
    todo.push(...next);
  }
  return out;
}

/** Zombies count as dead: orphans are reparented to a PID 1 here that reaps them ~1-2 s late. */
export function alive(pid: number): boolean {
  try { return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'; } catch { return false; }
}

/** Stopping gracefully (SIGTERM) takes the master ~1.1 s; the data is throwaway, so freeze the
 * master (no new forks), then SIGKILL it and every descendant. */
export function killTree(masterPid: number): number[] {
  try { process.kill(masterPid, 'SIGSTOP'); } catch { return []; }
  const pids = [masterPid, ...descendants(masterPid)];
  for (const pid of pids) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  return pids;
}
