/** Benchmark results as rows of a markdown table, with ratios against their baselines. */

export interface Row {
  group: string;
  name: string;
  /** The headline figure, e.g. requests/s. */
  value: number;
  unit: string;
  /** Extra figures, e.g. latency percentiles. */
  detail?: string;
  /** value ÷ baseline value, when the row has a baseline. */
  ratio?: { against: string; value: number };
  target?: { text: string; met: boolean };
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n >= 10 ? n.toFixed(1) : n >= 0.01 ? n.toFixed(2) : n.toPrecision(2));

export function ratioRow(row: Omit<Row, 'ratio'>, baseline: Row): Row {
  return { ...row, ratio: { against: baseline.name, value: row.value / baseline.value } };
}

export function toMarkdown(rows: Row[]): string {
  const lines = ['| group | what | figure | detail | ratio | target |', '| --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const ratio = r.ratio ? `${r.ratio.value.toFixed(r.ratio.value >= 10 ? 0 : 2)}× ${r.ratio.against}` : '';
    const target = r.target ? `${r.target.text} ${r.target.met ? '✅' : '❌'}` : '';
    lines.push(`| ${r.group} | ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.detail ?? ''} | ${ratio} | ${target} |`);
  }
  return lines.join('\n');
}
