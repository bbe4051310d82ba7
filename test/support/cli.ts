/** Runs the built `spindle` command as a user types it, in a child process. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const BIN = fileURLToPath(new URL('../../../bin/spindle.js', import.meta.url));
const execute = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await execute(process.execPath, [BIN, ...args]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const { code, stdout, stderr } = err as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

/** Runs `spindle args...` and asserts that it succeeds. */
export async function spindle(...args: string[]): Promise<CliResult> {
  const result = await run(args);
  assert.equal(result.code, 0, `spindle ${args.join(' ')} failed: ${result.stderr}`);
  return result;
}

/** Runs `spindle args...` and asserts that it fails, with no stack trace in what it printed. */
export async function failing(...args: string[]): Promise<CliResult> {
  const result = await run(args);
  assert.notEqual(result.code, 0, `spindle ${args.join(' ')} should fail`);
  assert.doesNotMatch(result.stderr + result.stdout, /\n\s+at /, 'no stack trace');
  return result;
}
