/**
 * Human-friendly durations and sizes as the manifest writes them (`"5s"`, `"64MiB"`), parsed
 * into milliseconds and bytes. Plain numbers are taken as milliseconds and bytes.
 */

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/;

function parseQuantity(input: string | number, units: Record<string, number>, bare: string): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const m = QUANTITY.exec(input);
  if (!m) return undefined;
  const factor = units[(m[2] || bare).toLowerCase()];
  return factor === undefined ? undefined : Math.round(Number(m[1]) * factor);
}

/** `"1.5s"` → 1500; `"250ms"` → 250; `42` → 42. Undefined when not a duration. */
export function parseDuration(input: string | number): number | undefined {
  return parseQuantity(input, DURATION_UNITS, 'ms');
}

/** `"64MiB"` → 67108864; `"1MB"` → 1000000; `512` → 512. Undefined when not a size. */
export function parseSize(input: string | number): number | undefined {
  return parseQuantity(input, SIZE_UNITS, 'b');
}

/** `67108864` → `"64MiB"`, `12044511` → `"11.5MiB"`: for messages. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes >= factor) return `${Number((bytes / factor).toFixed(1))}${unit}`;
  }
  return `${bytes}B`;
}

/** `300` → `"300ms"`, `5000` → `"5s"`, `90000` → `"1.5m"`, `1234` → `"1234ms"`: exact, for messages. */
export function formatDuration(ms: number): string {
  for (const [unit, factor] of [['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
    if (ms >= factor && ms % (factor / 10) === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}
