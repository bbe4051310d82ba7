/**
 * Spindle's errors: one small hierarchy with stable `name`s and `code`s, each carrying the
 * context needed to act on it (which component, which trigger, which event) and its `cause`.
 */

/** Where an error happened. Every field is optional; whatever is known is filled in. */
export interface ErrorContext {
  component?: string;
  trigger?: string;
  eventId?: string;
  file?: string;
}

export class SpindleError extends Error {
  override name = 'SpindleError';
  readonly code: string = 'SPINDLE_ERROR';
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.context = context;
  }
}

/** One problem found in a manifest: the field path and what was expected there. */
export interface ManifestProblem {
  path: string;
  message: string;
}

/** A manifest that cannot be used. Lists every problem, not only the first. */
export class ManifestError extends SpindleError {
  override name = 'ManifestError';
  override readonly code = 'MANIFEST_INVALID';
  readonly problems: ManifestProblem[];

  constructor(file: string, problems: ManifestProblem[], options?: { cause?: unknown }) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems.map((p) => `  ${formatProblem(file, p)}`).join('\n'),
      { file },
      options,
    );
    this.problems = problems;
  }
}

export function formatProblem(file: string, problem: ManifestProblem): string {
  return problem.path ? `${file}: ${problem.path}: ${problem.message}` : `${file}: ${problem.message}`;
}

/** A component that could not be read, transpiled or compiled. */
export class ComponentLoadError extends SpindleError {
  override name = 'ComponentLoadError';
  override readonly code = 'COMPONENT_LOAD_FAILED';
}

/** Building a component from its sources failed. */
export class BuildError extends SpindleError {
  override name = 'BuildError';
  override readonly code = 'BUILD_FAILED';
}

/** The broker (Redis) cannot be reached or refused an operation. */
export class BrokerError extends SpindleError {
  override name = 'BrokerError';
  override readonly code = 'BROKER_UNAVAILABLE';
}

/** A trigger could not start or lost its source for good. */
export class TriggerError extends SpindleError {
  override name = 'TriggerError';
  override readonly code = 'TRIGGER_FAILED';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}
