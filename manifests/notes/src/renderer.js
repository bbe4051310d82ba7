// The renderer, a dependency of the site and of the digest worker. It has no handle export and
// no capabilities: Spindle instantiates it beside each of them and passes its exports on.
const escape = (text) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function inline(text) {
  return escape(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
    .replace(/\*([^*]+)\*/g, '<em>$1</em>');
}

export const render = {
  markdown(source) {
    return source
      .split(/\n\s*\n/)
      .map((block) => block.trim())
      .filter((block) => block !== '')
      .map((block) => {
        const heading = /^(#{1,6})\s+(.*)$/.exec(block);
        if (heading) return `<h${heading[1].length}>${inline(heading[2])}</h${heading[1].length}>`;
        return `<p>${inline(block.replace(/\s*\n\s*/g, ' '))}</p>`;
      })
      .join('\n');
  },

  page({ title, bodyHtml, tags }) {
    const tagList = tags.length ? `<ul class="tags">${tags.map((t) => `<li>${escape(t)}</li>`).join('')}</ul>\n` : '';
    return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${escape(title)}</title></head>\n<body>\n${tagList}${bodyHtml}\n</body></html>\n`;
  },

  wordCounts(text, limit) {
    const counts = new Map();
    for (const word of text.toLowerCase().match(/[a-z0-9\u00c0-\u024f']+/g) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
    const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return limit === undefined ? sorted : sorted.slice(0, limit);
  },
};
