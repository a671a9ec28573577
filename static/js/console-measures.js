// The group's measures on the console: a measure's aggregates in the poll panel (per question and per
// score, only where at least k answered, never whose), and on the Measures tab the trend across the
// weeks as a chart, the private cue when the session rating fell or lies in a band of concern, and the
// trends participants chose to share by name. Drawn with charts.js.
import { choiceChart, trendChart } from "./charts.js";
import { el } from "./dom.js";

const format = (value) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

// A closed or open measure's results as the team sees them.
export function measureResults(poll) {
  const r = poll.results;
  const box = el("div", { class: "poll-results measure-results" });
  if (r.below_threshold) {
    box.append(el("p", { text: `Results are shown once at least ${r.threshold} have answered, so that nobody's answers can be picked out.` }));
  } else {
    const anchors = poll.settings.scale ? poll.settings.scale.anchors : {};
    for (const item of r.items) {
      const section = el("section", { class: "measure-item-result" }, el("h4", { text: item.text }));
      if (item.counts) {
        const ownAnchors = (poll.settings.items.find((i) => i.id === item.id).scale || {}).anchors || anchors;
        const options = item.counts.map((count, n) => {
          const value = item.min + n;
          return { label: ownAnchors[value] ? `${value}: ${ownAnchors[value]}` : String(value), count };
        });
        section.append(el("p", { class: "measure-mean", text: `Mean ${format(item.mean)} (${item.min} to ${item.max}) · ${item.answered} answered` }), choiceChart(options, item.answered));
      } else {
        section.append(el("p", { class: "quiet", text: "Too few answered this question to show it." }));
      }
      box.append(section);
    }
    box.append(el("ul", { class: "measure-scores" }, ...r.scores.map((score) => el("li", {},
      el("strong", { text: `${score.name}: ` }),
      score.mean === undefined
        ? el("span", { text: "too few answered every question in it to show it" })
        : el("span", { text: `mean ${format(score.mean)} of ${format(score.min)} to ${format(score.max)} · ${score.answered} answered${score.band ? ` · ${score.band.meaning}` : ""}` })))));
  }
  box.append(el("p", { class: "quiet results-total", text: `${r.answers} answered · ${r.passes} passed · for the facilitators only` }));
  return box;
}

function totalOf(week) {
  const total = (week.scores || []).find((score) => score.id === "total");
  return total && total.mean !== undefined ? total : null;
}

function measureSection(measure) {
  const points = measure.weeks.map((week) => ({ week: week.week, value: totalOf(week) ? totalOf(week).mean : null }));
  const section = el("section", { class: "measure-trend", "aria-labelledby": `measure-${measure.instrument}` },
    el("h3", { id: `measure-${measure.instrument}`, class: "section-label", text: measure.name }));
  if (measure.cue) {
    section.append(el("div", { class: "measure-cue", role: "note" },
      el("p", {}, el("strong", { text: `For you, week ${measure.cue.week}: ` }), measure.cue.reasons.join(" ")),
      el("p", { text: measure.cue.suggestion })));
  }
  section.append(trendChart(points, { min: measure.range[0], max: measure.range[1], label: `${measure.name}: the group's mean total` }));
  section.append(el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": `${measure.name}, week by week` }, el("table", { class: "measure-weeks" },
    el("caption", { class: "visually-hidden", text: `${measure.name}, week by week` }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Week" }), el("th", { scope: "col", text: "Answered" }), el("th", { scope: "col", text: "Mean total" }))),
    el("tbody", {}, ...measure.weeks.map((week) => el("tr", {},
      el("th", { scope: "row", text: String(week.week) }),
      el("td", { text: `${week.answers} · ${week.passes} passed` }),
      el("td", { text: totalOf(week) ? format(totalOf(week).mean) : `fewer than ${week.threshold} answered` })))))));
  return section;
}

function sharedSection(shared) {
  return el("li", { class: "shared-trend" },
    el("p", {}, el("strong", { text: shared.name }), el("span", { class: "tag", text: "shared by them" })),
    ...shared.trend.map((measure) => trendChart(
      measure.weeks.map((week) => ({ week: week.week, value: week.scores.total === undefined ? null : week.scores.total })),
      { min: measure.range[0], max: measure.range[1], label: `${shared.name}'s ${measure.name}, shared by them` })));
}

export function consoleMeasures({ url, onShared }) {
  const panel = document.getElementById("measures-panel");
  let shared = [];

  function renderGroup(measures) {
    const list = document.getElementById("measures-group");
    list.replaceChildren(...(measures.length
      ? measures.map(measureSection)
      : [el("p", { class: "quiet", text: "No measure has been asked in this group yet." })]));
  }

  function renderShared(list) {
    shared = list;
    document.getElementById("measures-shared").replaceChildren(...(list.length
      ? list.map(sharedSection)
      : [el("li", { class: "quiet", text: "Nobody has shared their answers with you." })]));
    onShared();
  }

  async function load() {
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const payload = await response.json();
      renderGroup(payload.measures);
      renderShared(payload.shared);
    } catch { /* shown again on the next push */ }
  }

  if (panel) load();
  return {
    group: (payload) => renderGroup(payload.measures),
    shared: (payload) => renderShared(payload.shared),
    sharedBy: (participantId) => shared.some((entry) => entry.participant === participantId),
  };
}
