// A searchable picker (the WAI-ARIA combobox with a listbox popup, https://www.w3.org/WAI/ARIA/apg/patterns/combobox/)
// over what the server rendered and what works without JavaScript: a <select multiple> (pick several,
// `data-picker="multiple"`) or a <select> (pick one, `data-picker="single"`). The select stays in the
// form, hidden, and is what is submitted; this only changes how its options are chosen.
//
// Keyboard: type to filter; Down and Up move through the list (Alt+Down opens it); Enter chooses
// (with several, it adds or removes and the list stays open); Escape closes the list, then clears.
// Focus stays in the text box and the active option is named by aria-activedescendant, so a screen
// reader reads each option as it is reached; what was added or removed is said in a live region.

const MAX_SHOWN = 60;
let pickers = 0;

function normalise(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

function element(tag, attributes = {}, text = "") {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  if (text) made.textContent = text;
  return made;
}

class Picker {
  constructor(root) {
    this.root = root;
    this.multiple = root.dataset.picker === "multiple";
    this.id = `picker-${++pickers}`;
    this.select = root.querySelector("select");
    this.items = this.fromSelect();
    this.shown = [];
    this.active = -1;
    this.build();
    this.renderChosen();
  }

  fromSelect() {
    const select = this.select;
    const firstGroup = select.querySelector("optgroup");
    return [...select.options].map((option) => ({
      value: option.value,
      label: option.textContent.trim(),
      // Before anything is typed, the list shows the select's first group (the short list), or all.
      likely: !firstGroup || option.parentElement === firstGroup,
      get chosen() { return option.selected; },
      set chosen(on) { option.selected = on; },
    }));
  }

  build() {
    const source = this.select;
    source.hidden = true;
    // The picker's own label names the text box; the select's label would name a hidden control.
    const original = this.root.querySelector(`label[for="${source.id}"]`);
    if (original) original.hidden = true;
    const labelText = this.root.dataset.pickerLabel;
    const ui = element("div", { class: "picker-ui" });
    if (this.multiple) {
      this.chosenList = element("ul", { class: "picker-chosen", "aria-label": this.root.dataset.chosenLabel || "Chosen" });
    }
    const label = element("label", { for: `${this.id}-input` }, labelText);
    this.input = element("input", {
      id: `${this.id}-input`,
      type: "text",
      role: "combobox",
      "aria-autocomplete": "list",
      "aria-expanded": "false",
      "aria-controls": `${this.id}-list`,
      autocomplete: "off",
      spellcheck: "false",
    });
    // The hint and any error the server gave describe the text box, as they describe other fields.
    const hint = this.root.querySelector(".hint[id]");
    const error = this.root.querySelector(".error[id]");
    const described = [hint, error].filter(Boolean).map((node) => node.id).join(" ");
    if (described) this.input.setAttribute("aria-describedby", described);
    if (error) this.input.setAttribute("aria-invalid", "true");
    this.list = element("ul", { id: `${this.id}-list`, role: "listbox", "aria-label": labelText, class: "picker-list" });
    if (this.multiple) this.list.setAttribute("aria-multiselectable", "true");
    this.list.hidden = true;
    this.status = element("p", { class: "visually-hidden", "aria-live": "polite" });
    const combo = element("div", { class: "picker-combo" });
    combo.append(this.input, this.list);
    // The hint goes under the picker's label, where it stands for every other field.
    ui.append(label, ...(hint ? [hint] : []), ...(this.multiple ? [this.chosenList] : []), combo, this.status);
    source.after(ui);
    if (!this.multiple) this.input.value = this.current()?.label || "";

    this.input.addEventListener("input", () => this.open(true));
    this.input.addEventListener("keydown", (event) => this.key(event));
    this.input.addEventListener("blur", () => setTimeout(() => this.close(true), 150));
    this.input.addEventListener("click", () => (this.list.hidden ? this.open(false) : this.close(false)));
    // A pointer press on an option must not take the focus from the text box first.
    this.list.addEventListener("mousedown", (event) => event.preventDefault());
    this.list.addEventListener("click", (event) => {
      const option = event.target.closest('[role="option"]');
      if (option) this.choose(Number(option.dataset.index));
    });
  }

  current() {
    return this.items.find((item) => item.chosen);
  }

  matches() {
    // Opened by typing: what matches, among every option. Opened otherwise: the short list.
    const query = this.typed ? normalise(this.input.value.trim()) : "";
    if (!query) return this.items.filter((item) => item.likely);
    return this.items.filter((item) => normalise(item.label).includes(query) || normalise(item.value).includes(query));
  }

  open(typed) {
    this.typed = typed;
    this.shown = this.matches().slice(0, MAX_SHOWN);
    this.list.replaceChildren();
    this.shown.forEach((item, position) => {
      const option = element("li", {
        id: `${this.id}-option-${position}`,
        role: "option",
        "aria-selected": item.chosen ? "true" : "false",
        "data-index": String(position),
      }, item.label);
      this.list.append(option);
    });
    if (!this.shown.length) {
      this.list.append(element("li", { class: "picker-none", role: "presentation" }, "Nothing matches. Try fewer letters."));
    }
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    const chosenAt = this.shown.findIndex((item) => item.chosen);
    this.move(typed ? 0 : Math.max(chosenAt, 0), false);
    this.status.textContent = `${this.shown.length} ${this.shown.length === 1 ? "option" : "options"}`;
  }

  close(restore) {
    this.list.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
    if (restore && !this.multiple) this.input.value = this.current()?.label || "";
  }

  move(position, scroll = true) {
    const options = this.list.querySelectorAll('[role="option"]');
    if (!options.length) {
      this.active = -1;
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    this.active = (position + options.length) % options.length;
    options.forEach((option, at) => option.classList.toggle("active", at === this.active));
    this.input.setAttribute("aria-activedescendant", options[this.active].id);
    if (scroll) options[this.active].scrollIntoView({ block: "nearest" });
  }

  key(event) {
    const open = !this.list.hidden;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (!open || event.altKey) this.open(this.multiple && this.input.value !== "");
      else this.move(this.active + 1);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (open) this.move(this.active - 1);
    } else if (event.key === "Enter") {
      // Enter chooses in the list; it never submits the form from here.
      event.preventDefault();
      if (open && this.active >= 0) this.choose(this.active);
    } else if (event.key === "Escape") {
      if (open) {
        event.preventDefault();
        this.close(true);
      } else if (this.input.value) {
        event.preventDefault();
        this.input.value = "";
      }
    } else if (event.key === "Tab" && open) {
      this.close(true);
    }
  }

  choose(position) {
    const item = this.shown[position];
    if (!item) return;
    if (this.multiple) {
      item.chosen = !item.chosen;
      this.status.textContent = `${item.label} ${item.chosen ? "added" : "removed"}.`;
      this.renderChosen();
      const option = this.list.querySelector(`#${this.id}-option-${position}`);
      option.setAttribute("aria-selected", item.chosen ? "true" : "false");
      this.move(position, false);
    } else {
      item.chosen = true;
      this.close(true);
      this.status.textContent = `${item.label} chosen.`;
      this.select.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  renderChosen() {
    if (!this.multiple) return;
    this.chosenList.replaceChildren();
    const chosen = this.items.filter((item) => item.chosen);
    if (!chosen.length) this.chosenList.append(element("li", { class: "quiet" }, "Nobody chosen yet."));
    for (const item of chosen) {
      const entry = element("li", {}, "");
      entry.append(element("span", {}, item.label));
      const remove = element("button", { type: "button", class: "small secondary" }, "Remove");
      remove.append(element("span", { class: "visually-hidden" }, ` ${item.label}`));
      remove.addEventListener("click", () => {
        item.chosen = false;
        this.status.textContent = `${item.label} removed.`;
        this.renderChosen();
        this.input.focus();
      });
      entry.append(remove);
      this.chosenList.append(entry);
    }
  }
}

for (const root of document.querySelectorAll("[data-picker]")) new Picker(root);
