/**
 * Writes a new project from a template: the template's files and the shared ones, its
 * manifest named after the project's folder and pointed at the schema this package ships, and a
 * `package.json` whose scripts build, run and test it with this Spindle.
 */
import { cp, mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { SpindleError } from '../errors.js';
import { SCHEMA_FILE } from '../manifest/json-schema.js';
import { PACKAGE_ROOT, SHARED_TEMPLATE, TEMPLATES_DIR, findTemplate, templateList } from './templates.js';

export interface NewProject {
  dir: string;
  name: string;
  files: string[];
}

/** An application name (letters, digits, '-' and '_') from a folder name. */
export function appName(dir: string): string {
  return basename(resolve(dir)).toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'app';
}

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  return readdir(dir).then((entries) => entries.length === 0, (err: NodeJS.ErrnoException) => err.code === 'ENOENT');
}

async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  const nested = await Promise.all(entries.map((e) => (e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)])));
  return nested.flat().sort();
}

function packageJson(name: string, typescript: string): string {
  const pkg = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      build: 'spindle build',
      start: 'spindle build && spindle up',
      typecheck: 'tsc --noEmit',
      test: 'tsc --noEmit && spindle build && node --test test/app.test.js',
    },
    // Spindle is not on a registry yet: the project links to the Spindle that generated it.
    devDependencies: { spindle: `file:${PACKAGE_ROOT.replace(/\/$/, '')}`, typescript },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

/** The manifest with the project's name and a `#:schema` line that resolves once installed. */
function personalize(manifest: string, name: string): string {
  const lines = manifest.split('\n');
  const body = lines[0]!.startsWith('#:schema ') ? lines.slice(1) : lines;
  const named = body.join('\n').replace(/^name = ".*"$/m, `name = "${name}"`);
  return `#:schema ./node_modules/spindle/${SCHEMA_FILE}\n${named}`;
}

export async function createProject(template: string, dir: string = template): Promise<NewProject> {
  if (!findTemplate(template)) throw new SpindleError(`no template "${template}"; the templates are:\n${templateList()}`);
  const target = resolve(dir);
  if (!(await isEmptyOrMissing(target))) throw new SpindleError(`${target} exists and is not empty; name a new folder`);
  const name = appName(target);
  await mkdir(target, { recursive: true });
  await cp(join(TEMPLATES_DIR, SHARED_TEMPLATE), target, { recursive: true });
  await cp(join(TEMPLATES_DIR, template), target, { recursive: true });
  // A file named .gitignore is left out of npm packages, so the template holds it as gitignore.
  await rename(join(target, 'gitignore'), join(target, '.gitignore'));
  const manifest = join(target, 'spindle.toml');
  await writeFile(manifest, personalize(await readFile(manifest, 'utf8'), name));
  const own = JSON.parse(await readFile(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  await writeFile(join(target, 'package.json'), packageJson(name, own.devDependencies.typescript!));
  return { dir: target, name, files: await listFiles(target) };
}
