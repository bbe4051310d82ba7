/** Child processes for benchmarks: servers and workers run apart from the load generator. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const SPINDLE_BIN = fileURLToPath(new URL('../../../bin/spindle.js', import.meta.url));
export const JCO_BIN = fileURLToPath(new URL('../../../node_modules/@bytecodealliance/jco/dist/jco.js', import.meta.url));

export interface Child {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the first match of `pattern` in the child's output. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

export function startChild(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  // Its own process group, so stopping it also stops what it started (jco serve runs a child).
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...env }, detached: true });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return {
    child,
    output: () => out,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = pattern.exec(out);
        if (m) return m;
        if (child.exitCode !== null) throw new Error(`child exited (${child.exitCode}) before printing ${pattern}:\n${out.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${out.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          child.kill(signal);
        }
      };
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      // Whatever the child started goes with it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    },
  };
}

/** Starts `spindle up` and resolves once it listens, with its base URL. */
export async function startSpindle(manifest: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Child & { url: string }> {
  const c = startChild([SPINDLE_BIN, 'up', manifest, '--listen', '127.0.0.1:0', ...extra], env);
  const [, url] = await c.waitFor(/"msg":"listening on (http:\/\/[^"]+)"/);
  await c.waitFor(/"msg":"ready"/);
  return { ...c, url: url! };
}
