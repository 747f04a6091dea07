// The console's little script: trait explanations on demand.
(function () {
  "use strict";
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (!(details instanceof HTMLDetailsElement) || !details.open) return;
    var url = details.getAttribute("data-explain");
    var target = details.querySelector(".explain");
    if (!url || !target || target.getAttribute("data-loaded")) return;
    fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { location.href = "/login?next=" + encodeURIComponent(location.pathname); return null; }
        return response.text();
      })
      .then(function (text) {
        if (text === null) return;
        target.textContent = text;
        target.setAttribute("data-loaded", "1");
      });
  }, true);
})();
