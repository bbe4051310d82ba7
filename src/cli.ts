/**
 * The `spindle` command line. Each command returns an exit code instead of exiting, so the
 * process ends only once everything it opened has closed.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ManifestError, SpindleError, errorMessage } from './errors.js';
import { loadManifest } from './manifest/load.js';
import { manifestSchema } from './manifest/schema.js';

const USAGE = `spindle — run WebAssembly components on events

Usage:
  spindle up [manifest] [--listen host:port] [--workers n] [--log-level level]
                            run the app until SIGINT/SIGTERM
  spindle validate [manifest]
                            check a manifest and print every problem
  spindle build [manifest] [--force]
                            componentize the JS/TS sources the manifest declares
  spindle schema            print the manifest's JSON Schema

The manifest defaults to ./spindle.toml.`;

type Command = (positionals: string[], flags: Record<string, string | boolean | undefined>) => Promise<number>;

const commands: Record<string, Command> = {
  async validate([file = 'spindle.toml']) {
    const { manifest } = await loadManifest(file);
    const triggers = Object.entries(manifest.trigger).map(([kind, list]) => `${list.length} ${kind}`).join(', ');
    console.log(`${file}: ok — ${Object.keys(manifest.component).length} components; triggers: ${triggers}`);
    return 0;
  },

  async schema() {
    console.log(JSON.stringify(z.toJSONSchema(manifestSchema, { io: 'input' }), null, 2));
    return 0;
  },

  async build([file = 'spindle.toml'], flags) {
    const { buildComponents } = await import('./build/build.js');
    const app = await loadManifest(file, { checkSources: false });
    await buildComponents(app, { force: flags.force === true, progress: (line) => console.log(line) });
    return 0;
  },

  async up([file = 'spindle.toml'], flags) {
    const workers = flags.workers === undefined ? undefined : Number(flags.workers);
    if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) {
      console.error(`spindle up: --workers expects a whole number of at least 1, got "${flags.workers}"`);
      return 2;
    }
    const { runApp } = await import('./app.js');
    return runApp(file, {
      listen: flags.listen as string | undefined,
      workers,
      logLevel: flags['log-level'] as string | undefined,
    });
  },
};

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        listen: { type: 'string' },
        workers: { type: 'string' },
        'log-level': { type: 'string' },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`spindle: ${errorMessage(err)}\n\n${USAGE}`);
    return 2;
  }
  const [name, ...rest] = parsed.positionals;
  if (parsed.values.help || !name) {
    console.log(USAGE);
    return name || parsed.values.help ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    console.error(`spindle: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, parsed.values);
  } catch (err) {
    if (err instanceof ManifestError) console.error(err.message);
    else if (err instanceof SpindleError) console.error(`spindle ${name}: ${err.message}`);
    else console.error(`spindle ${name}: unexpected error:`, err);
    return 1;
  }
}
