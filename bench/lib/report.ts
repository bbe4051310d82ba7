/**
 * Benchmark results as rows of a markdown table, with ratios against their baselines, and the
 * rows of several runs folded into one: the median of each figure and ratio with its range.
 */

/** A bound a row's figure or its ratio must reach. */
export interface Target {
  text: string;
  on: 'value' | 'ratio';
  bound: number;
  /** Whether the figure must be at least (`higher`) or at most (`lower`) the bound. */
  better: 'higher' | 'lower';
}

export const ratioAtLeast = (bound: number, text: string): Target => ({ text, on: 'ratio', bound, better: 'higher' });
export const valueAtLeast = (bound: number, text: string): Target => ({ text, on: 'value', bound, better: 'higher' });
export const valueAtMost = (bound: number, text: string): Target => ({ text, on: 'value', bound, better: 'lower' });

export interface Row {
  group: string;
  name: string;
  /** The headline figure, e.g. requests/s. */
  value: number;
  unit: string;
  /** Extra figures, e.g. latency percentiles. */
  detail?: string;
  /** value ÷ baseline value, when the row has a baseline. */
  ratio?: { against: string; value: number; range?: [number, number] };
  /** The lowest and highest figure over the runs folded into this row. */
  range?: [number, number];
  runs?: number;
  target?: Target;
  /** Why this run has no figure (messages were lost, say); `value` is then NaN. */
  missing?: string;
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n >= 0.01 ? n.toFixed(2) : n.toPrecision(2));
const fmtRatio = (n: number) => n.toFixed(n >= 10 ? 0 : 2);

export function ratioRow(row: Omit<Row, 'ratio'>, baseline: Row): Row {
  return { ...row, ratio: { against: baseline.name, value: row.value / baseline.value } };
}

export function targetMet(row: Row): boolean | undefined {
  const t = row.target;
  if (!t) return undefined;
  const figure = t.on === 'ratio' ? row.ratio?.value : row.value;
  if (figure === undefined) return false;
  return t.better === 'higher' ? figure >= t.bound : figure <= t.bound;
}

/** The nearest-rank `p`th percentile (0-100) of `sorted`, ascending. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const span = (values: number[]): [number, number] => [Math.min(...values), Math.max(...values)];

/**
 * One row per group and name over `runs`, in the order rows first appeared: the median figure
 * and ratio, their ranges, and the detail of the run whose figure was closest to the median.
 */
export function foldRuns(runs: Row[][]): Row[] {
  const byKey = new Map<string, Row[]>();
  for (const rows of runs) {
    for (const row of rows) {
      const key = `${row.group}\u0000${row.name}`;
      byKey.set(key, [...(byKey.get(key) ?? []), row]);
    }
  }
  return [...byKey.values()].map((all) => {
    const rows = all.filter((r) => r.missing === undefined);
    if (rows.length === 0) return all[0]!;
    const missed = all.length - rows.length;
    if (rows.length === 1 && missed === 0) return rows[0]!;
    const values = rows.map((r) => r.value);
    const value = median(values);
    const closest = rows.reduce((best, r) => (Math.abs(r.value - value) < Math.abs(best.value - value) ? r : best));
    const ratios = rows.flatMap((r) => (r.ratio ? [r.ratio.value] : []));
    const folded: Row = { ...closest, value, range: span(values), runs: rows.length };
    if (missed > 0) folded.detail = [closest.detail, `${missed} of ${all.length} runs had no figure: ${all.find((r) => r.missing)!.missing}`].filter(Boolean).join('; ');
    if (closest.ratio && ratios.length > 0) folded.ratio = { against: closest.ratio.against, value: median(ratios), range: span(ratios) };
    return folded;
  });
}

export function toMarkdown(rows: Row[]): string {
  const lines = ['| group | what | figure | detail | ratio | target |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    if (r.missing !== undefined) {
      lines.push(`| ${r.group} | ${r.name} | — | ${r.missing} |  | ${r.target ? `${r.target.text} ❌` : ''} |`);
      continue;
    }
    const figure = `${fmt(r.value)} ${r.unit}${r.range ? ` (${fmt(r.range[0])}–${fmt(r.range[1])})` : ''}`;
    const ratio = r.ratio
      ? `${fmtRatio(r.ratio.value)}× ${r.ratio.against}${r.ratio.range ? ` (${fmtRatio(r.ratio.range[0])}–${fmtRatio(r.ratio.range[1])})` : ''}`
      : '';
    const met = targetMet(r);
    const target = r.target ? `${r.target.text} ${met ? '✅' : '❌'}` : '';
    lines.push(`| ${r.group} | ${r.name} | ${figure} | ${r.detail ?? ''} | ${ratio} | ${target} |`);
  }
  return lines.join('\n');
}
