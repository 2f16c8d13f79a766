// Entry of the browser bundle: the npm package of JsSIP ships CommonJS only, so esbuild
// bundles it into vendor/jssip.min.js as an IIFE whose global is `JsSIP` (see scripts/build-console.sh).
export * from 'jssip';
