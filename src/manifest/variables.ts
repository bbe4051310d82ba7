/**
 * Variables: the app's `[variables]` resolved once at start-up, and each component's own view
 * of them, rendered from its `variables` templates. A component sees only the names it maps.
 *
 * A value comes from the process environment as `SPINDLE_VARIABLE_<NAME>` when set (the way to
 * pass secrets without writing them into the manifest), else from its default. A required
 * variable without a value stops start-up with the name of the environment variable to set.
 */
import { ManifestError, type ManifestProblem } from '../errors.js';
import type { Manifest } from './schema.js';

const REFERENCE = /\{\{\s*([^}\s]+)\s*\}\}/g;

/** The app variables `template` refers to, in order. */
export function variableReferences(template: string): string[] {
  return [...template.matchAll(REFERENCE)].map((m) => m[1]!);
}

export function environmentName(variable: string): string {
  return `SPINDLE_VARIABLE_${variable.toUpperCase()}`;
}

/** The value of every app variable that has one; throws naming each required one missing. */
export function resolveVariables(manifest: Manifest, file: string, env: NodeJS.ProcessEnv = process.env): Map<string, string> {
  const values = new Map<string, string>();
  const problems: ManifestProblem[] = [];
  for (const [name, variable] of Object.entries(manifest.variables)) {
    const value = env[environmentName(name)] ?? variable.default;
    if (value !== undefined) values.set(name, value);
    else if (variable.required) {
      problems.push({ path: `variables.${name}`, message: `required variable has no value: set ${environmentName(name)}` });
    }
  }
  if (problems.length > 0) throw new ManifestError(file, problems);
  return values;
}

/** `template` with each `{{ variable }}` replaced by its resolved value. */
export function renderTemplate(template: string, values: Map<string, string>): string {
  return template.replace(REFERENCE, (_, ref: string) => values.get(ref) ?? '');
}

/** Whether `text` holds a `{{ variable }}` reference. */
export function isTemplate(text: string): boolean {
  return variableReferences(text).length > 0;
}

/** The variables component `templates` renders to, from the app's resolved `values`. */
export function componentVariables(templates: Record<string, string>, values: Map<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(templates).map(([name, template]) => [name, renderTemplate(template, values)]));
}
