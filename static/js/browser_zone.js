/* Preselect the browser's time zone in <select data-browser-zone> while it still shows the
   default (nothing chosen yet). Without JavaScript the default stays and can be changed. */
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone) { return; }
  var selects = document.querySelectorAll("select[data-browser-zone]");
  for (var i = 0; i < selects.length; i++) {
    var select = selects[i];
    if (select.getAttribute("data-browser-zone") !== "default") { continue; }
    for (var j = 0; j < select.options.length; j++) {
      if (select.options[j].value === zone) {
        select.value = zone;
        break;
      }
    }
  }
}());
