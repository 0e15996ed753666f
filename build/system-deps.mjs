// Makes sure the Debian packages the tests and the demo need are installed. As root (CI, the
// sandbox) it installs what is missing with apt-get; otherwise it says exactly what to run.
import { execFileSync, spawnSync } from 'node:child_process';

const NEEDED = [
  { bin: 'dovecot', pkg: 'dovecot-imapd' },
  { bin: 'doveadm', pkg: 'dovecot-imapd' },
  { bin: 'openssl', pkg: 'openssl' },
  { bin: 'unzip', pkg: 'unzip' },
  { bin: 'zip', pkg: 'zip' },
  { bin: '7z', pkg: 'p7zip-full' },
];

const has = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
const missing = [...new Set(NEEDED.filter((n) => !has(n.bin)).map((n) => n.pkg))];

if (missing.length > 0) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !has('apt-get')) {
    console.error(`Missing system packages: ${missing.join(' ')}.\nInstall them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`Installing ${missing.join(' ')} with apt-get ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
}
