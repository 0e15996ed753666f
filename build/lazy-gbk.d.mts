import type { Plugin } from 'esbuild';
export declare const lazyGbk: Plugin;
