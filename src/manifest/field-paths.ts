/** Field paths (`component.api.files[0]`) carried from one manifest shape to another. */

/** `path` with its longest prefix found in `renames` replaced by what that prefix came from. */
export function renamePath(path: string, renames: ReadonlyMap<string, string>): string {
  let best = '';
  for (const from of renames.keys()) {
    if ((path === from || path.startsWith(`${from}.`) || path.startsWith(`${from}[`)) && from.length > best.length) best = from;
  }
  return best ? renames.get(best)! + path.slice(best.length) : path;
}
