/**
 * The manifest's JSON Schema, for editors: generated from the zod schema, in draft 7 (which
 * Taplo and the Even Better TOML extension read), and published in this package as
 * `SCHEMA_FILE`, which manifests name on their `#:schema` line.
 */
import { z } from 'zod';
import { manifestSchema } from './schema.js';

/** Where the schema lies in this package. */
export const SCHEMA_FILE = 'schema/spindle.schema.json';

export function manifestJsonSchema(): string {
  const schema = z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-7' });
  return `${JSON.stringify({ ...schema, title: 'spindle.toml' }, null, 2)}\n`;
}
