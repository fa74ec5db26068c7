/**
 * A strict reader of Prometheus text exposition (0.0.4) for the tests: every line must be a HELP,
 * TYPE or sample line; a family's lines are contiguous, TYPE comes before its samples, a family is
 * declared once; histogram buckets are cumulative and end with +Inf equal to _count.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const VALUE = '[-+]?(?:[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?|Inf)|NaN';
const sampleLine = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL}=${LABEL_VALUE})(?:,${LABEL}=${LABEL_VALUE})*)?\\})? (${VALUE})$`,
);
const labelPair = new RegExp(`(${LABEL})=(${LABEL_VALUE})`, 'g');
const helpLine = new RegExp(`^# HELP (${NAME}) (.*)$`);
const typeLine = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

function unescape(quoted: string): string {
  return quoted.slice(1, -1).replace(/\\(["\\n])/g, (_all, c: string) => (c === 'n' ? '\n' : c));
}

function family(sampleName: string, type: Map<string, string>): string {
  const m = /^(.*)_(bucket|sum|count)$/.exec(sampleName);
  if (m !== null && type.get(m[1]!) === 'histogram') return m[1]!;
  return sampleName;
}

export function parseExposition(text: string): Exposition {
  const out: Exposition = { help: new Map(), type: new Map(), samples: [] };
  if (text !== '' && !text.endsWith('\n')) throw new Error('the last line must end with a newline');
  const seen = new Set<string>();
  let current: string | undefined;
  const enter = (fam: string, line: string): void => {
    if (fam === current) return;
    if (seen.has(fam)) throw new Error(`family ${fam} is not contiguous: ${line}`);
    seen.add(fam);
    current = fam;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = helpLine.exec(line);
    if (m !== null) {
      if (out.help.has(m[1]!)) throw new Error(`second HELP: ${line}`);
      enter(m[1]!, line);
      out.help.set(m[1]!, m[2]!);
      continue;
    }
    m = typeLine.exec(line);
    if (m !== null) {
      if (out.type.has(m[1]!)) throw new Error(`second TYPE: ${line}`);
      enter(m[1]!, line);
      out.type.set(m[1]!, m[2]!);
      continue;
    }
    if (line.startsWith('#')) continue; // other comments are allowed
    m = sampleLine.exec(line);
    if (m === null) throw new Error(`not a valid sample line: ${JSON.stringify(line)}`);
    const name = m[1]!;
    const fam = family(name, out.type);
    if (current !== fam && out.type.has(fam)) throw new Error(`sample outside its family: ${line}`);
    enter(fam, line);
    const labels: Record<string, string> = {};
    for (const p of (m[2] ?? '').matchAll(labelPair)) {
      if (p[1]! in labels) throw new Error(`duplicate label ${p[1]}: ${line}`);
      labels[p[1]!] = unescape(p[2]!);
    }
    const raw = m[3]!;
    const value = raw === '+Inf' || raw === 'Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    out.samples.push({ name, labels, value });
  }
  checkHistograms(out);
  return out;
}

/** A sample as a comparable string: name, labels sorted by name, value. */
export function sampleKey(s: Sample): string {
  const labels = Object.keys(s.labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(s.labels[k])}`)
    .join(',');
  return `${s.name}{${labels}} ${s.value}`;
}

function checkHistograms(e: Exposition): void {
  for (const [name, type] of e.type) {
    if (type !== 'histogram') continue;
    const series = new Map<string, { le: number[]; counts: number[]; count?: number }>();
    const keyOf = (labels: Record<string, string>): string =>
      JSON.stringify(
        Object.entries(labels)
          .filter(([k]) => k !== 'le')
          .sort(),
      );
    for (const s of e.samples) {
      if (s.name === `${name}_bucket`) {
        const le = s.labels['le'];
        if (le === undefined) throw new Error(`${name}_bucket without le`);
        const k = keyOf(s.labels);
        const h = series.get(k) ?? { le: [], counts: [] };
        series.set(k, h);
        h.le.push(le === '+Inf' ? Infinity : Number(le));
        h.counts.push(s.value);
      } else if (s.name === `${name}_count`) {
        const k = keyOf(s.labels);
        const h = series.get(k) ?? { le: [], counts: [] };
        series.set(k, h);
        h.count = s.value;
      }
    }
    for (const [k, h] of series) {
      const order = h.le.map((_, i) => i).sort((a, b) => h.le[a]! - h.le[b]!);
      const counts = order.map((i) => h.counts[i]!);
      for (let i = 1; i < counts.length; i++)
        if (counts[i]! < counts[i - 1]!) throw new Error(`${name}${k}: buckets not cumulative`);
      if (h.le[order[order.length - 1]!] !== Infinity) throw new Error(`${name}${k}: no +Inf bucket`);
      if (counts[counts.length - 1] !== h.count) throw new Error(`${name}${k}: +Inf bucket != _count`);
    }
  }
}
