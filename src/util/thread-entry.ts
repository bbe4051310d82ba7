/**
 * The script a worker thread starts from. `npm run build` also bundles each thread's entry
 * (scripts/bundle-cli.mjs): a thread then loads a few files instead of resolving and linking
 * its dozens of modules one by one, which every thread paid at every start. A bundle older
 * than the compiled entry (tsc has run since) is stale and left alone, as `bin/spindle.js`
 * does for the command line's.
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BUNDLE_DIR = new URL('../../bundle/', import.meta.url);

const modified = (url: URL) => statSync(fileURLToPath(url), { throwIfNoEntry: false })?.mtimeMs ?? -1;

/** `compiled`, or its bundle `bundled` (a file name in `dist/bundle/`) while that is up to date. */
export function threadEntry(compiled: URL, bundled: string): URL {
  const bundle = new URL(bundled, BUNDLE_DIR);
  return modified(bundle) >= modified(compiled) ? bundle : compiled;
}
