/**
 * The notes example (manifests/notes): a renderer written in JS serves acme:text/render to an
 * HTTP site and a queue worker, also in JS, linked at run time. Built with componentize-js once,
 * then skipped while the sources are unchanged.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startApp, type App } from '../src/app.js';
import { buildComponents } from '../src/build/build.js';
import { loadManifest } from '../src/app-manifest.js';
import { collectingLogger, httpUrl, waitFor } from './support/harness.js';

const EXAMPLE = fileURLToPath(new URL('../../manifests/notes/spindle.toml', import.meta.url));

describe('the notes example: one JS component used by two others', () => {
  let app: App;
  let url: string;

  before(async () => {
    await buildComponents(await loadManifest(EXAMPLE, { checkSources: false }));
    app = await startApp(await loadManifest(EXAMPLE), { listen: '127.0.0.1:0', logger: collectingLogger([]) });
    url = httpUrl(app);
  });
  after(() => app?.stop());

  it('loads the renderer only as a dependency', () => {
    assert.deepEqual([...app.executor.components.keys()].sort(), ['digest', 'site']);
  });

  it('renders a page over HTTP through the renderer', async () => {
    const res = await fetch(`${url}/notes/hello%20there`, { method: 'POST', body: '# Hi <you>\n\nSome **bold** text, more text.' });
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.match(html, /<title>hello there<\/title>/);
    assert.match(html, /<li>text ×2<\/li>/);
    assert.match(html, /<h1>Hi &lt;you&gt;<\/h1>\n<p>Some <strong>bold<\/strong> text, more text\.<\/p>/);
  });

  it('renders queue jobs through the same renderer', async () => {
    const note = { title: 'n', text: 'one *two* two\n\nthree three three' };
    await app.broker.enqueue('digests', new TextEncoder().encode(JSON.stringify(note)));
    await waitFor(async () => (await app.broker.jobCounts('digests')).completed === 1, 10_000, 'the digest job');
    const [job] = await app.broker.completedJobs('digests');
    const digest = JSON.parse(new TextDecoder().decode(job!.returnValue as Uint8Array));
    assert.deepEqual(digest, {
      title: 'n',
      html: '<p>one <em>two</em> two</p>\n<p>three three three</p>',
      words: [
        { word: 'three', count: 3 },
        { word: 'two', count: 2 },
        { word: 'one', count: 1 },
      ],
    });
  });
});
