// The sample configuration files are bundled as text (esbuild loader "text" in build/bundle.mjs), so
// `init` works from a single-file executable that has no dist-config folder beside it.
declare module '*.yml' {
  const text: string;
  export default text;
}
