// A page refused as busy loads its address again by itself after the seconds it names. It is a plain
// visit, as the link is: a refused form comes back empty rather than being sent twice. (A meta refresh
// would do the same without a script, but moves the person without a control of their own: WCAG 2.2.1.)
const again = document.querySelector("[data-retry-after]");
if (again) {
  setTimeout(() => window.location.replace(again.href), Number(again.dataset.retryAfter) * 1000);
}
