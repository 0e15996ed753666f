// An esbuild plugin for the bundle (build/bundle.mjs); tested in test/unit/lazy-gbk.test.ts.
import { readFile } from 'node:fs/promises';

/**
 * libmime builds iconv-lite's GBK codec (its decode and encode tables) when it is loaded, only
 * to recognise double-byte decoders by identity later: 10-15 ms of every run's start-up (CPU
 * profile of the executable, a run with nothing new). Built on first use instead. The build fails
 * if libmime's code no longer reads as expected, rather than bundle it unpatched or half patched.
 */
export const lazyGbk = {
  name: 'lazy-gbk',
  setup(b) {
    b.onLoad({ filter: /[\\/]libmime[\\/]dist[\\/](esm|cjs)[\\/]charset\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const made = /const DBCS_DECODER = ([\w.]+)\.getCodec\('gbk'\)\.decoder;/g;
      const used = /codec\.decoder === DBCS_DECODER\b/g;
      if (source.match(made)?.length !== 1 || source.match(used)?.length !== 1 || source.split('DBCS_DECODER').length !== 3) {
        throw new Error(`${path}: libmime no longer makes and uses DBCS_DECODER as build/bundle.mjs expects; review the lazy-gbk patch`);
      }
      const contents = source
        .replace(made, 'let DBCS_DECODER_MADE; const dbcsDecoder = () => (DBCS_DECODER_MADE ??= $1.getCodec("gbk").decoder);')
        .replace(used, 'codec.decoder === dbcsDecoder()');
      return { contents, loader: 'js' };
    });
  },
};
