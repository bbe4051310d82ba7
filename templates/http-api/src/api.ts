// GET /items lists the items; GET, PUT and DELETE /items/:id read, write and remove one.
import { json, kv, onHttp, status } from 'spindle/sdk';

interface Item {
  name: string;
}

export const handle = onHttp((event) => {
  const { method, params } = event.http;
  const id = params.id;
  if (id === undefined) {
    return method === 'GET' ? json(200, kv.listKeys('items')) : status(405);
  }
  switch (method) {
    case 'GET': {
      const item = kv.getJson<Item>('items', id);
      return item ? json(200, item) : json(404, { error: `no item ${id}` });
    }
    case 'PUT': {
      const item = event.json<Partial<Item>>();
      if (typeof item?.name !== 'string') return json(400, { error: 'expected {"name": "..."}' });
      kv.set('items', id, { name: item.name });
      return json(200, { name: item.name });
    }
    case 'DELETE':
      return status(kv.delete('items', id) ? 204 : 404);
    default:
      return status(405);
  }
});
