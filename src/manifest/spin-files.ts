/**
 * Spin's `files` and `exclude_files`, turned into the plain mounts of Spindle's model. Spin reads
 * a string entry as a glob relative to the app's folder (`static/**\/*`, `*.html`) whose files
 * the guest sees at the same relative path; Spindle mounts files and directories. So a glob, and
 * every entry once `exclude_files` is given, is expanded here into the files it names.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';

/** A mount in Spindle's object form: a host path relative to the manifest, and a guest path. */
export interface SpinFileMount {
  source: string;
  destination: string;
}

const GLOB_CHARS = /[*?[{]/;

/** `pattern`, a path glob (`**` spans directories, `*` and `?` do not, `{a,b}` alternates), as a RegExp. */
export function pathGlobToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '{') {
      const end = pattern.indexOf('}', i);
      if (end === -1) out += '\\{';
      else {
        out += `(?:${pattern.slice(i + 1, end).split(',').map(escape).join('|')})`;
        i = end;
      }
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        const body = pattern.slice(i + 1, end);
        out += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else out += escape(c);
  }
  return new RegExp(`^${out}$`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Paths of the regular files under `dir`, relative to `root`, with `/` separators. */
async function filesUnder(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  const found = await Promise.all(
    entries.map(async (entry) => {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) return filesUnder(root, path);
      return entry.isFile() || entry.isSymbolicLink() ? [path] : [];
    }),
  );
  return found.flat();
}

function normalise(path: string): string {
  return posix.normalize(path.split(sep).join('/')).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** The files a glob names under `root`, walking only below its fixed leading directories. */
async function expandGlob(root: string, pattern: string): Promise<string[]> {
  const clean = normalise(pattern);
  const segments = clean.split('/');
  const fixed = segments.slice(0, segments.findIndex((s) => GLOB_CHARS.test(s))).join('/');
  const match = pathGlobToRegExp(clean);
  return (await filesUnder(root, fixed)).filter((path) => match.test(path));
}

/**
 * The mounts for a component's Spin `files`, less what `exclude_files` names. `root` is the
 * app's folder; sources stay relative to it, as the manifest layer resolves them later.
 */
export async function spinFileMounts(root: string, entries: Array<string | SpinFileMount>, exclude: string[]): Promise<SpinFileMount[]> {
  const excluded = exclude.map((pattern) => pathGlobToRegExp(normalise(pattern)));
  const mounts: SpinFileMount[] = [];
  for (const entry of entries) {
    const { source, destination } = typeof entry === 'string' ? { source: entry, destination: `/${normalise(entry)}` } : entry;
    const globbed = typeof entry === 'string' && GLOB_CHARS.test(source);
    if (!globbed && excluded.length === 0) {
      mounts.push({ source, destination });
      continue;
    }
    const isDir = !globbed && (await stat(join(root, source)).then((s) => s.isDirectory(), () => false));
    const files = globbed ? await expandGlob(root, source) : isDir ? (await filesUnder(root, normalise(source))) : [normalise(source)];
    for (const file of files) {
      if (excluded.some((re) => re.test(file))) continue;
      const target = globbed ? `/${file}` : isDir ? posix.join(destination, relative(normalise(source), file).split(sep).join('/')) : destination;
      mounts.push({ source: file, destination: target });
    }
  }
  return mounts;
}
