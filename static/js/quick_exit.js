/* Quick exit: leave for a neutral page without leaving this one in the back button's way.
   Works without this script too (the link is a plain link). */
document.addEventListener("click", function (event) {
  var link = event.target.closest ? event.target.closest("a[data-quick-exit]") : null;
  if (!link) { return; }
  event.preventDefault();
  try { window.history.replaceState(null, "", "/"); } catch (ignored) { /* not fatal */ }
  window.location.replace(link.href);
});
