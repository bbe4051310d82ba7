/**
 * Edits to jco's glue that change what a call costs and nothing it does. The glue logs through
 * `_debugLog`, which reads `process.env.JCO_DEBUG` on every call, and it is called at every step
 * of every export and import call: a componentize-js guest reads the clock seven times per
 * event, and each read went through about ten of them. A `process.env` read is a call into
 * Node's C++ environment store, so the checks were a fifth of a warm JavaScript guest's
 * `handle` call. The edit reads the variable once, when the glue is imported; `JCO_DEBUG` still
 * turns jco's logging on for a process started with it.
 */

/** The check jco 1.35 writes into `_debugLog`. */
const PER_CALL_CHECK = 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }';
const ONCE = 'SPINDLE_JCO_DEBUG';

/**
 * `glue` with its per-call environment check replaced by a module constant. Glue without the
 * check (another jco release) is returned as it is: slower, never wrong.
 */
export function patchGlue(glue: string): string {
  if (!glue.includes(PER_CALL_CHECK)) return glue;
  // Appended, not prepended: a module's constants are set before anything can call `instantiate`.
  return `${glue.replaceAll(PER_CALL_CHECK, `if (!${ONCE}) { return; }`)}\nconst ${ONCE} = Boolean(globalThis?.process?.env?.JCO_DEBUG);\n`;
}
