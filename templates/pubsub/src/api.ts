// POST /messages publishes its body on "messages"; GET /messages lists what the listener kept.
import { json, kv, onHttp, publish, status } from 'spindle/sdk';

export const handle = onHttp((event) => {
  switch (event.http.method) {
    case 'POST':
      publish('messages', event.text());
      return status(202);
    case 'GET':
      return json(200, kv.listKeys('inbox').map((key) => kv.getText('inbox', key)));
    default:
      return status(405);
  }
});
