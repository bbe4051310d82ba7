/**
 * A private `redis-server` for tests: started on a free port with its own directory, so tests
 * never share state with anything else on the machine. By default it persists with an
 * append-only file synced on every write, so a restart (to test reconnection) and even a crash
 * keep every acknowledged write, as a production Redis would; without persistence a crash
 * brings it back empty.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server and starts it again on the same port and data. */
  restart(downMs?: number): Promise<void>;
  /**
   * Kills the server with SIGKILL, as a crash or a power cut would, and starts it again on the
   * same port: with persistence it comes back with every acknowledged write, without it empty.
   */
  crash(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

async function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

export interface StartRedisOptions {
  /** Append-only file synced on every write (the default), or no persistence at all. */
  persistence?: boolean;
}

/** Starts a private server; `args` are extra redis-server options, e.g. `['--hz', '100']`. */
export async function startRedis(args: string[] = [], options: StartRedisOptions = {}): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), 'spindle-redis-'));
  let port = await freePort();
  let child: ChildProcess | undefined;
  const persistence = options.persistence === false ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always'];

  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, ...args], {
      stdio: 'ignore',
    });
    const deadline = Date.now() + 10_000;
    while (!(await ping(port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}; is it installed?`);
      if (Date.now() > deadline) throw new Error(`redis-server did not answer on port ${port}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const halt = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    // A server that cannot finish its shutdown (its append-only file, say) must not hang a test.
    const timer = setTimeout(() => child?.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const bounce = async (signal: 'SIGTERM' | 'SIGKILL', downMs: number) => {
    await halt(signal);
    await new Promise((r) => setTimeout(r, downMs));
    await start();
  };

  // Another process can take the free port before redis-server binds it; a new port then.
  for (let tries = 1; ; tries++) {
    try {
      await start();
      break;
    } catch (error) {
      if (tries === 3) throw error;
      port = await freePort();
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    restart: (downMs = 500) => bounce('SIGTERM', downMs),
    crash: (downMs = 500) => bounce('SIGKILL', downMs),
    async stop() {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
