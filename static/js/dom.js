// Building and speaking from the page: elements made without innerHTML, buttons, and the
// announcements a screen reader hears through a live region.

// Build elements without innerHTML for anything that is not sanitised server-side HTML.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name === "html") node.innerHTML = value; // only step HTML, sanitised by the server (nh3)
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

export function button(text, className, onClick) {
  const node = el("button", { type: "button", class: className, text });
  node.addEventListener("click", onClick);
  return node;
}

// The region is emptied first and filled a moment later, so that the same words twice are spoken twice.
export function announceIn(region, text) {
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 50);
}
