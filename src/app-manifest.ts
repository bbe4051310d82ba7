/**
 * Loading a manifest for an app: the manifest layer's own checks plus those only the triggers
 * and capabilities can make, so `spindle validate`, `spindle up` and `spindle build` all report
 * the same problems, every one at once.
 */
import { checkOutboundHosts } from './capabilities/outbound-hosts.js';
import { parseManifestText, readManifest, type LoadedManifest, type LoadOptions, type ManifestCheck } from './manifest/load.js';
import { checkTriggers } from './triggers/registry.js';

export type { LoadedManifest };

const checks: ManifestCheck[] = [checkTriggers, checkOutboundHosts];

/** Loads and validates `file`. Throws a `ManifestError` listing every problem. */
export function loadManifest(file: string, options: Omit<LoadOptions, 'checks'> = {}): Promise<LoadedManifest> {
  return readManifest(file, { ...options, checks });
}

/** Validates manifest `text` as if read from `file`. */
export function parseManifest(text: string, file: string, options: Omit<LoadOptions, 'checks'> = {}): Promise<LoadedManifest> {
  return parseManifestText(text, file, { ...options, checks });
}
