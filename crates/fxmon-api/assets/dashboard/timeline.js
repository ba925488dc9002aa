// Triggers by pair over time: one row per pair, one dot per trigger (SVG).

const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

export function render(triggers) {
  const holder = document.querySelector('#timeline .timeline');
  const caption = document.getElementById('timeline-summary');
  if (triggers.length === 0) {
    holder.replaceChildren();
    caption.textContent = 'No triggers yet.';
    return;
  }
  const pairs = [...new Set(triggers.map((t) => t.pair))].sort();
  const times = triggers.map((t) => Date.parse(t.triggered_at));
  const first = Math.min(...times);
  const last = Math.max(...times);
  const span = Math.max(last - first, 60_000);
  const width = Math.max(300, Math.round(holder.clientWidth));
  const left = 70;
  const row = 28;
  const height = pairs.length * row + 24;
  const x = (time) => left + ((time - first) / span) * (width - left - 12);
  const chart = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': 'timeline-summary' });
  pairs.forEach((pair, i) => {
    const y = i * row + row / 2;
    chart.append(svg('text', { x: 4, y: y + 4, class: 'axis' }, pair));
    chart.append(svg('line', { x1: left, x2: width - 8, y1: y, y2: y, class: 'lane' }));
  });
  for (const t of triggers) {
    const y = pairs.indexOf(t.pair) * row + row / 2;
    const dot = svg('circle', { cx: x(Date.parse(t.triggered_at)).toFixed(1), cy: y, r: 5, class: 'dot', 'data-trigger': t.id });
    dot.append(svg('title', {}, `${t.pair} ${t.triggered_at}: ${t.message}`));
    chart.append(dot);
  }
  const axisY = pairs.length * row + 16;
  chart.append(svg('text', { x: left, y: axisY, class: 'axis' }, new Date(first).toISOString().slice(0, 16).replace('T', ' ')));
  chart.append(svg('text', { x: width - 8, y: axisY, class: 'axis', 'text-anchor': 'end' }, new Date(last).toISOString().slice(0, 16).replace('T', ' ')));
  holder.replaceChildren(chart);
  caption.textContent = `${triggers.length} trigger${triggers.length === 1 ? '' : 's'} on ${pairs.length} pair${pairs.length === 1 ? '' : 's'}, ${new Date(first).toISOString().slice(0, 16).replace('T', ' ')} to ${new Date(last).toISOString().slice(0, 16).replace('T', ' ')} UTC.`;
}
