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

// The segment builder: condition rows, the JSON form and the segment language kept in step, with a
// live count. The query is kept in local storage so an expired session does not lose it.
(function () {
  "use strict";
  var builder = document.getElementById("builder");
  if (!builder) return;
  var KEY = "ecrm.segment.query";
  var csrf = builder.getAttribute("data-csrf");
  var queryBox = document.getElementById("segment-query");
  var jsonBox = document.getElementById("segment-json");
  var rowsBox = document.getElementById("rows");
  var combine = document.getElementById("combine");
  var template = document.getElementById("row-template");
  var count = document.getElementById("live-count");
  var sample = document.getElementById("sample");
  var saveQuery = document.getElementById("save-query");
  var timer = null, seq = 0;

  function showError(id, text) {
    ["query-error", "json-error"].forEach(function (other) {
      var el = document.getElementById(other);
      if (el && (other === id || !text)) el.textContent = other === id ? (text || "") : "";
    });
  }
  function literal(text) {
    var t = text.trim();
    if (t === "true") return true;
    if (t === "false") return false;
    if (t !== "" && !isNaN(Number(t))) return Number(t);
    return t.replace(/^"(.*)"$/, "$1");
  }
  function rowsToDefinition() {
    var parts = [];
    rowsBox.querySelectorAll(".row").forEach(function (row) {
      var field = row.querySelector(".field").value.trim();
      var value = row.querySelector(".value").value;
      if (!field) return;
      parts.push({ compare: { field: field, cmp: row.querySelector(".op").value, value: literal(value) } });
    });
    if (parts.length === 0) return null;
    if (parts.length === 1) return parts[0];
    var out = {}; out[combine.value] = parts; return out;
  }
  function addRow(field, op, value) {
    var row = template.content.firstElementChild.cloneNode(true);
    row.querySelector(".field").value = field || "";
    row.querySelector(".op").value = op || "=";
    row.querySelector(".value").value = value === undefined ? "" : String(value);
    rowsBox.appendChild(row);
    return row;
  }
  function definitionToRows(definition) {
    var list = null, mode = "and";
    if (definition && definition.compare) list = [definition];
    else if (definition && (definition.and || definition.or)) {
      mode = definition.and ? "and" : "or";
      list = definition[mode];
      if (!list.every(function (d) { return d && d.compare; })) list = null;
    }
    if (!list) return false;
    rowsBox.innerHTML = "";
    combine.value = mode;
    list.forEach(function (d) { addRow(d.compare.field, d.compare.cmp, d.compare.value); });
    return true;
  }
  function render(result, source) {
    count.textContent = Number(result.count).toLocaleString();
    sample.innerHTML = "";
    (result.sample || []).forEach(function (c) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = c.url; a.textContent = c.name;
      li.appendChild(a);
      if (c.email) { var s = document.createElement("span"); s.className = "muted"; s.textContent = " " + c.email; li.appendChild(s); }
      sample.appendChild(li);
    });
    if (source !== "query") queryBox.value = result.query;
    if (source !== "json") jsonBox.value = JSON.stringify(result.definition, null, 2);
    if (source !== "rows") definitionToRows(result.definition);
    remember();
  }
  function remember() {
    try { localStorage.setItem(KEY, queryBox.value); } catch (e) { /* private mode */ }
    if (saveQuery) saveQuery.value = queryBox.value;
  }
  function preview(body, source) {
    var mine = ++seq;
    count.classList.add("busy");
    fetch("/segments/preview", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "X-Requested-With": "fetch" },
      body: JSON.stringify(body)
    }).then(function (response) {
      if (response.status === 401) {
        remember();
        location.href = "/login?expired=1&next=" + encodeURIComponent("/segments/new");
        return null;
      }
      return response.json().then(function (json) { return { ok: response.ok, json: json }; });
    }).then(function (answer) {
      if (!answer || mine !== seq) return;
      if (timer === null) count.classList.remove("busy");
      if (answer.ok) { showError(null, ""); render(answer.json, source); return; }
      var e = answer.json.error || {};
      var text = e.message || "invalid";
      if (e.hint && text.indexOf(e.hint) < 0) text += " (" + e.hint + ")";
      count.textContent = "—";
      showError(source === "query" ? "query-error" : "json-error", text);
    }).catch(function () { if (timer === null) count.classList.remove("busy"); });
  }
  function later(body, source) {
    clearTimeout(timer);
    // Busy from the keystroke until the preview of what was typed answers: the count on show
    // is not yet the one of what was typed.
    count.classList.add("busy");
    timer = setTimeout(function () { timer = null; preview(body(), source); }, 300);
  }
  queryBox.addEventListener("input", function () {
    remember();
    if (!queryBox.value.trim()) { count.textContent = "—"; return; }
    later(function () { return { query: queryBox.value }; }, "query");
  });
  jsonBox.addEventListener("input", function () {
    var definition;
    try { definition = JSON.parse(jsonBox.value); } catch (e) { showError("json-error", e.message); return; }
    later(function () { return { definition: definition }; }, "json");
  });
  function rowsChanged() {
    var definition = rowsToDefinition();
    if (!definition) return;
    jsonBox.value = JSON.stringify(definition, null, 2);
    later(function () { return { definition: definition }; }, "rows");
  }
  rowsBox.addEventListener("input", rowsChanged);
  rowsBox.addEventListener("change", rowsChanged);
  combine.addEventListener("change", rowsChanged);
  rowsBox.addEventListener("click", function (event) {
    if (event.target.classList.contains("remove")) { event.target.closest(".row").remove(); rowsChanged(); }
  });
  document.getElementById("add-row").addEventListener("click", function () { addRow().querySelector(".field").focus(); });
  var form = document.getElementById("save-form");
  if (form) form.addEventListener("submit", remember);

  if (!queryBox.value.trim()) {
    var kept = null;
    try { kept = localStorage.getItem(KEY); } catch (e) { /* private mode */ }
    if (kept) queryBox.value = kept;
  }
  if (queryBox.value.trim()) preview({ query: queryBox.value }, "query");
  else addRow();
  remember();
})();
