/**
 * A JSON Schema (draft 7) checker for the keywords the manifest's schema uses. A keyword it
 * does not know is an error, so a schema that grows one cannot pass unchecked.
 */
type Schema = { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'examples']);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === 'number' && actual === 'integer');
}

/** Every problem of `value` against `schema`, each as `path: what`. */
export function checkJsonSchema(schema: Schema, value: unknown, path = '$'): string[] {
  const problems: string[] = [];
  const fail = (what: string) => problems.push(`${path}: ${what}`);
  for (const [keyword, rule] of Object.entries(schema)) {
    if (ANNOTATIONS.has(keyword)) continue;
    switch (keyword) {
      case 'type': {
        const types = Array.isArray(rule) ? (rule as string[]) : [rule as string];
        if (!types.some((t) => hasType(value, t))) fail(`expected ${types.join(' or ')}, got ${typeOf(value)}`);
        break;
      }
      case 'const':
        if (value !== rule) fail(`expected ${JSON.stringify(rule)}`);
        break;
      case 'enum':
        if (!(rule as unknown[]).includes(value)) fail(`expected one of ${JSON.stringify(rule)}`);
        break;
      case 'pattern':
        if (typeof value === 'string' && !new RegExp(rule as string, 'u').test(value)) fail(`does not match ${rule}`);
        break;
      case 'minLength':
        if (typeof value === 'string' && [...value].length < (rule as number)) fail(`shorter than ${rule}`);
        break;
      case 'minimum':
        if (typeof value === 'number' && value < (rule as number)) fail(`below ${rule}`);
        break;
      case 'maximum':
        if (typeof value === 'number' && value > (rule as number)) fail(`above ${rule}`);
        break;
      case 'items':
        if (Array.isArray(value)) value.forEach((item, i) => problems.push(...checkJsonSchema(rule as Schema, item, `${path}[${i}]`)));
        break;
      case 'required':
        if (typeOf(value) === 'object') for (const name of rule as string[]) if (!(name in (value as object))) fail(`missing "${name}"`);
        break;
      case 'properties':
      case 'additionalProperties':
      case 'propertyNames':
        if (typeOf(value) === 'object') problems.push(...checkObject(schema, keyword, value as Record<string, unknown>, path));
        break;
      case 'anyOf': {
        const branches = (rule as Schema[]).map((branch) => checkJsonSchema(branch, value, path));
        if (!branches.some((b) => b.length === 0)) fail(`matches none of: ${branches.map((b) => b.join('; ')).join(' | ')}`);
        break;
      }
      default:
        throw new Error(`${path}: the checker does not know JSON Schema keyword "${keyword}"`);
    }
  }
  return problems;
}

function checkObject(schema: Schema, keyword: string, value: Record<string, unknown>, path: string): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const problems: string[] = [];
  for (const [name, member] of Object.entries(value)) {
    const at = `${path}.${name}`;
    if (keyword === 'properties' && properties[name]) problems.push(...checkJsonSchema(properties[name], member, at));
    if (keyword === 'propertyNames') problems.push(...checkJsonSchema(schema.propertyNames as Schema, name, `${at} (name)`));
    if (keyword === 'additionalProperties' && !properties[name]) {
      const rule = schema.additionalProperties;
      if (rule === false) problems.push(`${at}: unknown field`);
      else if (typeof rule === 'object') problems.push(...checkJsonSchema(rule as Schema, member, at));
    }
  }
  return problems;
}
