declare const __IBT_VERSION__: string | undefined;

/** Injected by the bundler from package.json; 'dev' when running from source. */
export const VERSION: string = typeof __IBT_VERSION__ === 'string' ? __IBT_VERSION__ : 'dev';
