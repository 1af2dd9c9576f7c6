/**
 * A minimal hand-written SVG line chart: axes with round ticks, one
 * polyline per series, a legend and optional horizontal reference lines.
 * Enough to read distributions over time without a chart dependency.
 */
export interface ChartSeries {
  name: string;
  color: string;
  dashed?: boolean;
  points: ReadonlyArray<readonly [number, number]>;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** Horizontal reference lines (e.g. a target). */
  references?: ReadonlyArray<{ y: number; label: string }>;
  yMin?: number;
  yMax?: number;
  width?: number;
  height?: number;
}

const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };
const LEGEND_ROW_PX = 16;
const TICKS = 6;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 × 10^n. */
export function niceTicks(lo: number, hi: number, count = TICKS): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(4)).toString();
}

export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 760;
  const legendRows = spec.series.length + (spec.references?.length ?? 0);
  const height = (spec.height ?? 380) + legendRows * LEGEND_ROW_PX;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = (spec.height ?? 380) - MARGIN.top - MARGIN.bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...spec.series.flatMap((s) => s.points.map((p) => p[1])), ...(spec.references ?? []).map((r) => r.y)];
  const finite = (v: number) => Number.isFinite(v);
  const xMin = Math.min(...xs.filter(finite), 0);
  const xMax = Math.max(...xs.filter(finite), xMin + 1);
  let yMin = spec.yMin ?? Math.min(...ys.filter(finite));
  let yMax = spec.yMax ?? Math.max(...ys.filter(finite));
  if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) [yMin, yMax] = [0, 1];
  if (yMax - yMin < 1e-9) [yMin, yMax] = [yMin - 0.5, yMax + 0.5];
  const pad = (yMax - yMin) * 0.05;
  if (spec.yMin === undefined) yMin -= pad;
  if (spec.yMax === undefined) yMax += pad;
  const sx = (x: number) => MARGIN.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => MARGIN.top + (1 - (Math.min(yMax, Math.max(yMin, y)) - yMin) / (yMax - yMin)) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`,
  );
  for (const t of niceTicks(yMin, yMax)) {
    const y = sy(t).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(t)}</text>`,
    );
  }
  for (const t of niceTicks(xMin, xMax)) {
    const x = sx(t).toFixed(1);
    parts.push(
      `<line x1="${x}" y1="${MARGIN.top}" x2="${x}" y2="${MARGIN.top + plotH}" stroke="#f0f0f0"/>`,
      `<text x="${x}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + plotH + 36}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(spec.yLabel)}</text>`,
  );
  for (const r of spec.references ?? []) {
    const y = sy(r.y).toFixed(1);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + plotW}" y2="${y}" stroke="#c00" stroke-dasharray="2 3"/>`,
    );
  }
  for (const s of spec.series) {
    const pts = s.points
      .filter((p) => finite(p[0]) && finite(p[1]))
      .map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`)
      .join(' ');
    if (pts.length === 0) continue;
    parts.push(
      `<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${pts}"/>`,
    );
  }
  let row = 0;
  const legendTop = MARGIN.top + plotH + 52;
  for (const s of spec.series) {
    const y = legendTop + row++ * LEGEND_ROW_PX;
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + 24}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${MARGIN.left + 30}" y="${y}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
  }
  for (const r of spec.references ?? []) {
    const y = legendTop + row++ * LEGEND_ROW_PX;
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${MARGIN.left + 24}" y2="${y}" stroke="#c00" stroke-dasharray="2 3"/>`,
      `<text x="${MARGIN.left + 30}" y="${y}" dominant-baseline="middle">${escapeXml(r.label)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('\n');
}
