// GET /: the game page. The HTML, with its style and script, is bundled in as text.
import page from './page.html';

const body = new TextEncoder().encode(page);

export function handle() {
  return { status: 200, headers: [['content-type', 'text/html; charset=utf-8'], ['cache-control', 'no-cache']], body };
}
