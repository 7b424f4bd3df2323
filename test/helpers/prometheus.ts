/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every
 * line must be a `# HELP`, a `# TYPE`, another comment, a blank line, or a sample
 * `name{label="value",…} value [timestamp]`; a family's TYPE comes before its samples and at
 * most once; histograms have `le` buckets that are cumulative and end in `+Inf` equal to
 * `_count`, per label set. Anything else throws, naming the line.
 */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['_sum', '_count', ''], counter: [''], gauge: [''], untyped: [''] };

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const lines = text.split('\n');
  if (lines.pop() !== '') throw new Error('the text must end with a newline');
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line.trim() === '') return;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) fail('bad metric name');
      const f = families.get(name) ?? families.set(name, { name, type: 'untyped', help: '', samples: [] }).get(name)!;
      if (kind === 'TYPE') {
        if (!(rest in SUFFIXES)) fail('unknown type');
        if (f.samples.length > 0) fail('TYPE after samples');
        f.type = rest as Family['type'];
      } else f.help = rest;
      return;
    }
    if (line.startsWith('#')) return;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line) ?? fail('not a sample');
    const [, name, , labelText, valueText] = m as unknown as [string, string, string | undefined, string | undefined, string];
    const labels = parseLabels(labelText ?? '', fail);
    // Values as Prometheus reads them (Go's ParseFloat: Inf and NaN in any case; prom-client writes "Nan").
    const special = /^([+-]?)inf(inity)?$/i.exec(valueText);
    const value = special ? (special[1] === '-' ? -Infinity : Infinity) : /^nan$/i.test(valueText) ? NaN : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(valueText) ? Number(valueText) : fail('bad value');
    const family = [...families.values()].find((f) => SUFFIXES[f.type]!.some((s) => f.name + s === name)) ?? fail('sample of no declared family');
    family.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function parseLabels(s: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    const name = s.slice(i, eq);
    if (eq < 0 || !LABEL.test(name) || s[eq + 1] !== '"') fail('bad label');
    let v = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const c = s[++j];
        if (c === 'n') v += '\n';
        else if (c === '\\' || c === '"') v += c;
        else fail('bad escape in a label value');
      } else v += s[j];
    }
    if (j >= s.length) fail('unterminated label value');
    if (name in labels) fail('repeated label');
    labels[name] = v;
    i = j + 1;
    if (i < s.length) {
      if (s[i] !== ',') fail('labels must be separated by commas');
      i++;
    }
  }
  return labels;
}

function checkHistogram(f: Family): void {
  const key = (l: Readonly<Record<string, string>>) => JSON.stringify(Object.entries(l).filter(([k]) => k !== 'le').sort());
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of f.samples) {
    const e = series.get(key(s.labels)) ?? series.set(key(s.labels), { buckets: [] }).get(key(s.labels))!;
    if (s.name === `${f.name}_bucket`) {
      const le = s.labels.le;
      if (le === undefined) throw new Error(`${s.name}: a bucket without le`);
      e.buckets.push([le === '+Inf' ? Infinity : Number(le), s.value]);
    } else if (s.name === `${f.name}_count`) e.count = s.value;
  }
  for (const [k, e] of series) {
    const last = e.buckets[e.buckets.length - 1];
    if (!last || last[0] !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    for (let i = 1; i < e.buckets.length; i++) {
      if (!(e.buckets[i]![0] > e.buckets[i - 1]![0]) || e.buckets[i]![1] < e.buckets[i - 1]![1]) throw new Error(`${f.name}${k}: buckets not cumulative`);
    }
    if (e.count !== last[1]) throw new Error(`${f.name}${k}: +Inf bucket ${last[1]} ≠ _count ${e.count}`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  throw new Error(`no sample ${name} ${JSON.stringify(labels)}`);
}
