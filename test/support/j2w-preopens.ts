/**
 * Loaded before `j2w` (`node --import`): its WIT tooling reads files through preview2-shim's
 * Node filesystem, which since preview2-shim 0.26 starts with no preopens, so j2w 1.0.7 cannot
 * read any WIT. This grants it the host filesystem, as older preview2-shim releases did.
 */
const { _setPreopens } = (await import('@bytecodealliance/preview2-shim/filesystem')) as unknown as {
  _setPreopens(preopens: Record<string, string>): void;
};
_setPreopens({ '/': '/' });
