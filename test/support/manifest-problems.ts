/** A manifest's problems as a test reads them. */
import assert from 'node:assert/strict';
import { parseManifest } from '../../src/app-manifest.js';
import { ManifestError } from '../../src/errors.js';

/** The problems manifest `text`, read as `file`, has, as "path: message" lines; fails if it loads. */
export async function manifestProblems(text: string, file: string): Promise<string[]> {
  try {
    await parseManifest(text, file);
  } catch (err) {
    assert.ok(err instanceof ManifestError, `expected a ManifestError, got ${err}`);
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('expected the manifest to be rejected');
}
