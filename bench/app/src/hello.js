const body = new TextEncoder().encode('hello world');
const headers = [['content-type', 'text/plain']];

export function handle() {
  return { status: 200, headers, body };
}
