/**
 * Spin's manifest version 1 (`spin_version = "1"`, components in `[[component]]` with their
 * trigger inside), rewritten as version 2 the way Spin itself reads it, so one translation
 * (`spin.ts`) serves both. Paths in the rewritten manifest map back to the version 1 fields.
 */
type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface SpinV1Upgrade {
  /** The manifest as version 2. */
  v2: Table;
  /** Version 2 field path → the version 1 field it came from. */
  renames: Map<string, string>;
}

/** Whether parsed TOML says it is Spin's manifest version 1. */
export function isSpinV1(spin: Table): boolean {
  const version = spin.spin_manifest_version ?? spin.spin_version;
  return version === '1' || version === 1;
}

/**
 * Version 1's `allowed_http_hosts` as `allowed_outbound_hosts`: a bare host allows HTTP and
 * HTTPS to it, `insecure:allow-all` allows everything.
 */
function outboundHosts(hosts: unknown[]): unknown[] {
  return hosts.flatMap((host) => {
    if (typeof host !== 'string') return [host];
    if (host === 'insecure:allow-all') return ['*://*:*'];
    return host.includes('://') ? [host] : [`http://${host}`, `https://${host}`];
  });
}

export function upgradeSpinV1(v1: Table): SpinV1Upgrade {
  const renames = new Map<string, string>([
    ['spin_manifest_version', 'spin_version' in v1 ? 'spin_version' : 'spin_manifest_version'],
    ['application.name', 'name'],
    ['application.version', 'version'],
    ['application.description', 'description'],
    ['application.authors', 'authors'],
  ]);
  const trigger = isTable(v1.trigger) ? v1.trigger : {};
  const type = typeof trigger.type === 'string' ? trigger.type : 'http';
  const { type: _type, ...appSettings } = trigger;
  for (const key of Object.keys(appSettings)) renames.set(`application.trigger.${type}.${key}`, `trigger.${key}`);
  renames.set(`trigger.${type}`, 'trigger.type');

  const v2: Table = {
    spin_manifest_version: 2,
    application: {
      ...Object.fromEntries(['name', 'version', 'description', 'authors'].filter((k) => v1[k] !== undefined).map((k) => [k, v1[k]])),
      ...(Object.keys(appSettings).length > 0 ? { trigger: { [type]: appSettings } } : {}),
    },
    ...(v1.variables !== undefined ? { variables: v1.variables } : {}),
  };
  for (const key of Object.keys(v1)) {
    if (!['spin_version', 'spin_manifest_version', 'name', 'version', 'description', 'authors', 'trigger', 'variables', 'component'].includes(key)) {
      (v2 as Table)[key] = v1[key];
    }
  }

  const triggers: Table[] = [];
  const components: Table = {};
  (Array.isArray(v1.component) ? v1.component : []).forEach((entry: unknown, i) => {
    const at = `component[${i}]`;
    if (!isTable(entry)) return;
    const { id, trigger: componentTrigger, config, allowed_http_hosts: httpHosts, ...rest } = entry;
    const name = typeof id === 'string' ? id : `component-${i}`;
    renames.set(`component.${name}`, at);
    if (config !== undefined) renames.set(`component.${name}.variables`, `${at}.config`);
    if (httpHosts !== undefined) renames.set(`component.${name}.allowed_outbound_hosts`, `${at}.allowed_http_hosts`);
    components[name] = {
      ...rest,
      ...(config !== undefined ? { variables: config } : {}),
      ...(Array.isArray(httpHosts) ? { allowed_outbound_hosts: [...outboundHosts(httpHosts), ...(Array.isArray(rest.allowed_outbound_hosts) ? rest.allowed_outbound_hosts : [])] } : {}),
    };
    renames.set(`trigger.${type}[${triggers.length}]`, `${at}.trigger`);
    triggers.push({ ...(isTable(componentTrigger) ? componentTrigger : {}), component: name });
  });
  v2.trigger = { [type]: triggers };
  v2.component = components;
  return { v2, renames };
}
