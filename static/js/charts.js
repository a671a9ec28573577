// Poll results drawn as SVG, the same on phones, the console and the projector: bars with counts and
// percentages for choices, the 0–10 distribution as columns, and a word cloud whose word sizes
// follow the counts. No library: each chart is a few shapes. Colours are SVG presentation attributes
// in Mend's light palette, which a page's CSS overrides (the projector's themes do).
import { el } from "./dom.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const INK = "#1f2a44";
const ACCENT = "#2f6f62";
const TRACK = "#e6e2d8";
const TONES = [ACCENT, INK, "#8a3b12"];

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// A share of those who answered, as people read it: "67%", "<1%" for a sliver, never "0%" for some.
export function percent(count, answers) {
  if (!answers || !count) return "0%";
  const share = (count / answers) * 100;
  return share < 1 ? "<1%" : `${Math.round(share)}%`;
}

// One row per option: its label, an SVG bar as long as its share, the count and the percentage.
export function choiceChart(options, answers) {
  const top = Math.max(1, ...options.map((option) => option.count));
  return el("ul", { class: "bars chart-choices" }, ...options.map((option) => {
    const row = el("li", { class: "bar" },
      el("span", { class: "bar-label", text: option.label }),
      barShape(option.count / top),
      el("span", { class: "bar-figures" },
        el("strong", { class: "bar-count", text: String(option.count) }),
        el("span", { class: "bar-share", text: percent(option.count, answers) })));
    row.dataset.count = option.count;
    return row;
  }));
}

function barShape(fraction) {
  // Stretched to the row's width: the bar is drawn in hundredths of it.
  const shape = svg("svg", {
    class: "bar-shape", viewBox: "0 0 100 10", preserveAspectRatio: "none", width: "100%", height: "24",
    "aria-hidden": "true", focusable: "false",
  });
  shape.append(svg("rect", { class: "bar-track", width: 100, height: 10, fill: TRACK }));
  if (fraction > 0) shape.append(svg("rect", { class: "bar-fill", width: Math.max(1, fraction * 100).toFixed(2), height: 10, fill: ACCENT }));
  return shape;
}

// The 0–10 scale as eleven columns, each with its count above and its value below.
export function scaleChart(scale, labels, answers) {
  const column = 30;
  const height = 120;
  const top = Math.max(1, ...scale);
  const chart = svg("svg", {
    class: "chart-scale", viewBox: `0 0 ${column * 11} ${height + 52}`, width: "100%", role: "img",
    "aria-label": `How many chose each value from 0 (${labels[0]}) to 10 (${labels[1]}): `
      + scale.map((count, value) => `${value}: ${count}`).join(", "),
  });
  chart.append(svg("line", { class: "chart-axis", x1: 0, x2: column * 11, y1: height + 24, y2: height + 24, stroke: INK, "stroke-width": 1 }));
  scale.forEach((count, value) => {
    const x = value * column;
    const h = count ? Math.max(2, (count / top) * height) : 0;
    const y = height + 24 - h;
    const group = svg("g", { class: "chart-column" });
    group.dataset.value = value;
    group.dataset.count = count;
    if (h) group.append(svg("rect", { class: "bar-fill", x: x + 4, y, width: column - 8, height: h, fill: ACCENT }));
    group.append(
      svg("text", { class: "chart-count", x: x + column / 2, y: y - 6, "text-anchor": "middle", "font-size": 14, "font-weight": 700, fill: INK, text: String(count) }),
      svg("text", { class: "chart-value", x: x + column / 2, y: height + 44, "text-anchor": "middle", "font-size": 14, fill: INK, text: String(value) }));
    chart.append(group);
  });
  const box = el("figure", { class: "chart chart-scale-figure" }, chart);
  box.append(el("figcaption", { class: "scale-labels" }, el("span", { text: `0: ${labels[0]}` }), el("span", { text: `10: ${labels[1]}` })));
  box.dataset.answers = answers;
  return box;
}

// The words as a cloud: the most frequent in the middle and largest, each word's size in proportion
// to how many wrote it, placed on a spiral so that none overlap.
const SMALLEST = 18;
const LARGEST = 60;
const MOST_WORDS = 60;
let measurer = null;

export function wordSize(count, fewest, most) {
  if (most === fewest) return (SMALLEST + LARGEST) / 2;
  return SMALLEST + ((LARGEST - SMALLEST) * (count - fewest)) / (most - fewest);
}

function measure(word, size, family) {
  measurer = measurer || document.createElement("canvas").getContext("2d");
  measurer.font = `700 ${size}px ${family}`;
  return measurer.measureText(word).width;
}

const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

export function wordCloud(words) {
  const shown = words.slice(0, MOST_WORDS);
  const counts = shown.map((w) => w.count);
  const fewest = Math.min(...counts);
  const most = Math.max(...counts);
  const family = getComputedStyle(document.body).fontFamily || "sans-serif";
  const placed = [];
  for (const [index, word] of shown.entries()) {
    const size = wordSize(word.count, fewest, most);
    const w = measure(word.word, size, family) + size * 0.5;
    const h = size * 1.15;
    // An Archimedean spiral, wider than tall, from the middle outwards: the first free place wins.
    for (let turn = 0; turn < 4000; turn += 1) {
      const angle = turn * 0.12;
      const radius = 1.6 * angle;
      const box = { x: radius * 1.7 * Math.cos(angle) - w / 2, y: radius * Math.sin(angle) - h / 2, w, h };
      if (!placed.some((other) => overlaps(box, other))) {
        placed.push({ ...box, size, word, tone: index % 3 });
        break;
      }
    }
  }
  const left = Math.min(...placed.map((b) => b.x));
  const topEdge = Math.min(...placed.map((b) => b.y));
  const width = Math.max(...placed.map((b) => b.x + b.w)) - left;
  const height = Math.max(...placed.map((b) => b.y + b.h)) - topEdge;
  const cloud = svg("svg", {
    class: "word-cloud-chart", viewBox: `${left.toFixed(1)} ${topEdge.toFixed(1)} ${width.toFixed(1)} ${height.toFixed(1)}`,
    width: "100%", role: "img", "font-family": family,
    "aria-label": `Words, with how many wrote each: ${shown.map((w) => `${w.word} (${w.count})`).join(", ")}`,
  });
  for (const box of placed) {
    const text = svg("text", {
      class: `cloud-word tone-${box.tone}`, x: (box.x + box.w / 2).toFixed(1), y: (box.y + box.h / 2).toFixed(1),
      "text-anchor": "middle", "dominant-baseline": "central", "font-size": box.size.toFixed(1), "font-weight": 700,
      fill: TONES[box.tone], text: box.word.word,
    });
    text.dataset.count = box.word.count;
    cloud.append(text);
  }
  return el("figure", { class: "chart word-cloud-figure" }, cloud);
}

// A score week by week, as a line with a dot per week and its value written above it: a person's own
// measure in their journal, or the group's mean on the console. A week without a value (passed, or
// fewer than k answered) has no dot and says "–" under its week. Described in full for screen readers.
export function trendChart(points, { min, max, label }) {
  const step = 56;
  const left = 36;
  const height = 120;
  const top = 24;
  // Room for six weeks at least, so that one or two weeks are not drawn huge.
  const width = left + Math.max(points.length, 6) * step;
  const y = (value) => top + height - ((value - min) / (max - min || 1)) * height;
  const spoken = points.map((p) => `week ${p.week}: ${p.value === null ? "none" : formatNumber(p.value)}`).join(", ");
  const chart = svg("svg", {
    class: "chart-trend", viewBox: `0 0 ${width} ${top + height + 40}`, width: "100%", role: "img",
    "aria-label": `${label}, from ${formatNumber(min)} to ${formatNumber(max)}: ${spoken}`,
  });
  for (const tick of [min, max]) {
    chart.append(svg("line", { class: "chart-axis", x1: left, x2: width, y1: y(tick), y2: y(tick), stroke: TRACK, "stroke-width": 1 }));
    chart.append(svg("text", { x: left - 6, y: y(tick) + 5, "text-anchor": "end", "font-size": 13, fill: INK, text: formatNumber(tick) }));
  }
  const shown = points.map((p, n) => ({ ...p, x: left + step * n + step / 2 })).filter((p) => p.value !== null);
  if (shown.length > 1) {
    chart.append(svg("polyline", { class: "trend-line", fill: "none", stroke: ACCENT, "stroke-width": 3,
      points: shown.map((p) => `${p.x},${y(p.value).toFixed(1)}`).join(" ") }));
  }
  points.forEach((p, n) => {
    const x = left + step * n + step / 2;
    const group = svg("g", { class: "trend-point" });
    group.dataset.week = p.week;
    group.dataset.value = p.value === null ? "" : p.value;
    if (p.value !== null) {
      group.append(svg("circle", { cx: x, cy: y(p.value), r: 5, fill: ACCENT }),
        svg("text", { x, y: y(p.value) - 10, "text-anchor": "middle", "font-size": 13, "font-weight": 700, fill: INK, text: formatNumber(p.value) }));
    }
    group.append(svg("text", { x, y: top + height + 24, "text-anchor": "middle", "font-size": 13, fill: INK,
      text: p.value === null ? `W${p.week} –` : `W${p.week}` }));
    chart.append(group);
  });
  return el("figure", { class: "chart chart-trend-figure" }, chart);
}

function formatNumber(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
