/**
 * Spindle's errors: one small hierarchy with stable `name`s, each carrying the context needed
 * to act on it and its `cause`. A failed event is not an error but an `Outcome` value
 * (`event.ts`), which names its component and event id.
 */

/** Where an error happened: whatever is known is filled in. */
export interface ErrorContext {
  component?: string;
  trigger?: string;
  queue?: string;
}

export class SpindleError extends Error {
  override name = 'SpindleError';
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
  readonly problems: ManifestProblem[];

  constructor(file: string, problems: ManifestProblem[], options?: { cause?: unknown }) {
    super(
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n` +
        problems.map((p) => `  ${formatProblem(file, p)}`).join('\n'),
      {},
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
}

/** Building a component from its sources failed. */
export class BuildError extends SpindleError {
  override name = 'BuildError';
}

/** The broker (Redis) cannot be reached or refused an operation. */
export class BrokerError extends SpindleError {
  override name = 'BrokerError';
}

/** A trigger could not start or lost its source for good. */
export class TriggerError extends SpindleError {
  override name = 'TriggerError';
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
