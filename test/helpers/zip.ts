import yauzl from 'yauzl';

/** Every entry of a ZIP through yauzl (an independent reader), one at a time. */
export async function* zipEntries(file: string): AsyncGenerator<{ entry: yauzl.Entry; read: () => Promise<Buffer> }> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | undefined>((resolve, reject) => {
        const done = () => zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
        zip.once('entry', (e: yauzl.Entry) => (done(), resolve(e)));
        zip.once('end', () => (done(), resolve(undefined)));
        zip.once('error', (err: Error) => (done(), reject(err)));
        zip.readEntry();
      });
      if (!entry) return;
      yield {
        entry,
        read: async () => {
          const chunks: Buffer[] = [];
          for await (const c of await zip.openReadStreamPromise(entry)) chunks.push(c as Buffer);
          return Buffer.concat(chunks);
        },
      };
    }
  } finally {
    zip.close();
  }
}

/** Entry name → contents. */
export async function readZip(file: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for await (const { entry, read } of zipEntries(file)) out.set(entry.fileName, await read());
  return out;
}
