// The participant's own answers over the weeks, on their journal page: one chart per measure of their
// total week by week, and a table with every answer. Read from their own endpoint only.
import { trendChart } from "./charts.js";
import { el } from "./dom.js";

const section = document.querySelector("[data-trend]");
const format = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

function measureView(measure) {
  const points = measure.weeks.map((week) => ({ week: week.week, value: week.scores.total === undefined ? null : week.scores.total }));
  const better = measure.higher_is === "better" ? "higher is better" : "lower is better";
  const items = measure.weeks.length ? measure.weeks[measure.weeks.length - 1].items : [];
  return el("section", { class: "my-measure", "aria-labelledby": `my-${measure.instrument}` },
    el("h3", { id: `my-${measure.instrument}`, text: measure.name }),
    el("p", { class: "hint", text: `Your total each week, from ${format(measure.range[0])} to ${format(measure.range[1])} (${better}). A week where you passed a question has no total.` }),
    trendChart(points, { min: measure.range[0], max: measure.range[1], label: `My ${measure.name} total` }),
    el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": `My answers to ${measure.name}` }, el("table", { class: "my-answers-table" },
      el("caption", { class: "visually-hidden", text: `My answers to ${measure.name}, week by week` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Week" }), ...items.map((text) => el("th", { scope: "col", text })), el("th", { scope: "col", text: "Total" }))),
      el("tbody", {}, ...measure.weeks.map((week) => el("tr", {},
        el("th", { scope: "row", text: String(week.week) }),
        ...week.values.map((value) => el("td", { text: value === null ? "passed" : String(value) })),
        el("td", { text: week.scores.total === undefined ? "–" : format(week.scores.total) })))))));
}

async function show() {
  const box = document.getElementById("my-trend");
  try {
    const response = await fetch(section.dataset.trend, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const payload = await response.json();
    box.replaceChildren(...(payload.trend.length ? payload.trend.map(measureView) : [el("p", { text: "No answers kept yet." })]));
  } catch {
    box.replaceChildren(el("p", { text: "Your answers could not be loaded just now. Reload the page to try again." }));
  }
}

if (section) show();
