// The digest worker: each job on the "digests" queue is a JSON note { title, text }; its return
// value is the note's HTML and its most frequent words, rendered by the same renderer.
import { markdown, wordCounts } from 'acme:text/render@0.1.0';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function handle(event) {
  let note;
  try {
    note = JSON.parse(decoder.decode(event.data));
  } catch {
    return { tag: 'err', val: { tag: 'give-up', val: 'a job is a JSON note { title, text }' } };
  }
  const digest = {
    title: note.title,
    html: markdown(note.text ?? ''),
    words: wordCounts(note.text ?? '', 5).map(([word, count]) => ({ word, count })),
  };
  return { headers: [], body: encoder.encode(JSON.stringify(digest)) };
}
