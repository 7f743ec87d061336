// Inline SVG bar charts (no library): grouped vertical bars per key.
import { s } from './ui.js';

const COLORS = { sent: '#1f6feb', verified: '#2da44e', blocked: '#cf222e' };

// the top of the axis: 4, 8, 20, 40, 80, 200... so that quarter ticks are whole numbers
function niceMax(value) {
  let step = 1;
  for (;;) {
    for (const m of [4, 8, 20]) if (value <= m * step) return m * step;
    step *= 10;
  }
}

export function barChart(rows, series, labels, { height = 220 } = {}) {
  const present = series.filter((name) => rows.some((r) => r[name] !== null && r[name] !== undefined));
  const max = niceMax(Math.max(0, ...rows.flatMap((r) => present.map((name) => r[name] || 0))));
  const group = Math.max(24, present.length * 14 + 10);
  const left = 40;
  const width = Math.max(320, left + rows.length * group + 10);
  const plot = height - 50;
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', className: 'chart',
    'aria-label': present.map((n) => labels[n]).join(', '),
  });
  for (const frac of [0, 0.25, 0.5, 0.75, 1]) {
    const y = 10 + plot - frac * plot;
    svg.append(s('line', { x1: left, x2: width, y1: y, y2: y, className: 'grid' }),
      s('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', className: 'tick' }, String(Math.round(frac * max))));
  }
  rows.forEach((row, i) => {
    const x0 = left + i * group + 5;
    present.forEach((name, j) => {
      const value = row[name] || 0;
      const h = (value / max) * plot;
      svg.append(s('rect', { x: x0 + j * 14, y: 10 + plot - h, width: 12, height: Math.max(h, 0.5), fill: COLORS[name] },
        s('title', {}, `${row.key} ${labels[name]}: ${value}`)));
    });
    svg.append(s('text', { x: x0 + (present.length * 14) / 2, y: plot + 24, 'text-anchor': 'middle', className: 'tick' },
      /^\d{4}-\d{2}-\d{2}$/.test(row.key) ? row.key.slice(5) : String(row.key)));
  });
  const legend = s('g', { className: 'legend' });
  present.forEach((name, j) => {
    legend.append(s('rect', { x: left + j * 90, y: height - 14, width: 10, height: 8, fill: COLORS[name] }),
      s('text', { x: left + j * 90 + 14, y: height - 6, className: 'tick' }, labels[name]));
  });
  svg.append(legend);
  return svg;
}
