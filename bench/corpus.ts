// The deterministic bench corpus: the same bytes on every run, so results compare across runs.
import { createHash } from 'node:crypto';
import { prng as rng } from '../test/helpers/faults.js';

export const FOLDERS: { name: string; share: number }[] = [
  { name: 'INBOX', share: 0.4 },
  { name: 'Sent Items', share: 0.2 },
  { name: 'Archive/2023', share: 0.15 },
  { name: 'Projects/Alpha', share: 0.1 },
  { name: 'Projects/Beta', share: 0.1 },
  { name: 'Lists', share: 0.05 },
];

const WORDS = 'the of and to in is that for it with as was on be by at this from or have an are not but had they which you were their one all we can her has there been if more when will would who so no'.split(' ');

function text(rand: () => number, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    let line = '';
    while (line.length < 70) line += `${WORDS[Math.floor(rand() * WORDS.length)]} `;
    lines.push(line.trimEnd());
    size += line.length + 2;
  }
  return lines.join('\r\n');
}

function attachment(rand: () => number, bytes: number, seed: number): string {
  // Pseudo-random, incompressible like real attachments, generated fast from a hash chain.
  const chunks: Buffer[] = [];
  let block = createHash('sha256').update(String(seed)).digest();
  let total = 0;
  while (total < (bytes * 3) / 4) {
    block = createHash('sha256').update(block).digest();
    chunks.push(block);
    total += block.length;
  }
  void rand;
  return Buffer.concat(chunks).toString('base64').replace(/.{76}/g, '$&\r\n');
}

/**
 * Message `i` of the corpus: ~9 KB of text for 99 %, a 1-4 MB attachment for 1 % (~31 KB mean), and
 * one 50 MB message in every 20,000 (none in the default 10,000, five in the 100,000 run), for the
 * memory target "under 150 MB at 100,000 messages including 50 MB messages".
 */
export function benchMessage(i: number, tag = 'c'): Buffer {
  const rand = rng(i * 7919 + 17);
  const huge = i % 20_000 === 19_999;
  const large = huge || i % 100 === 57;
  const day = 1 + (i % 28);
  const headers = [
    `From: Sender ${i % 97} <sender${i % 97}@example.org>`,
    'To: Bench <bench@example.org>',
    `Subject: Bench message ${i} ${WORDS[i % WORDS.length]}`,
    `Date: Mon, ${day} Mar 2022 ${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00 +0100`,
    `Message-ID: <bench-${tag}-${i}@example.org>`,
    'MIME-Version: 1.0',
  ];
  if (!large) {
    const body = text(rand, 2000 + Math.floor(rand() * 14000));
    return Buffer.from(`${headers.join('\r\n')}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);
  }
  const size = huge ? 50_000_000 : 1_000_000 + Math.floor(rand() * 3_000_000);
  const body = `--b\r\nContent-Type: text/plain\r\n\r\n${text(rand, 2000)}\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n${attachment(rand, size, i)}\r\n--b--\r\n`;
  return Buffer.from(`${headers.join('\r\n')}\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${body}`);
}

export function folderOf(i: number, total: number): string {
  let acc = 0;
  const x = (i + 0.5) / total;
  for (const f of FOLDERS) {
    acc += f.share;
    if (x < acc) return f.name;
  }
  return FOLDERS[FOLDERS.length - 1]?.name ?? 'INBOX';
}
