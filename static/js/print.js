// The invitation's "Print this page" button (inline handlers are blocked by our CSP).
for (const button of document.querySelectorAll("[data-print]")) {
  button.addEventListener("click", () => window.print());
}
