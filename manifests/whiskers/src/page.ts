// GET /: the game page. The HTML, with its style and script, is bundled in as text.
import { html, onHttp } from 'spindle/sdk';
import page from './page.html';

export const handle = onHttp(() => html(200, page, { 'cache-control': 'no-cache' }));
