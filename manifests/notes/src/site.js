// The site: POST Markdown to /notes/<title> and get an HTML page back, rendered by the
// renderer component it imports acme:text/render from.
import { markdown, page, wordCounts } from 'acme:text/render@0.1.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function handle(event) {
  const attrs = Object.fromEntries(event.attributes);
  const title = decodeURIComponent(attrs['http.param.title'] ?? 'untitled');
  const source = decoder.decode(event.data);
  const tags = wordCounts(source, 3).map(([word, n]) => `${word} ×${n}`);
  const html = page({ title, bodyHtml: markdown(source), tags });
  return { status: 200, headers: [['content-type', 'text/html; charset=utf-8']], body: encoder.encode(html) };
}
