// Small behaviours that need no inline script (the Content-Security-Policy forbids it).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-confirm]");
  if (target && !window.confirm(target.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// Each wide table scrolls inside its own box, a named region that the keyboard can reach and scroll.
document.documentElement.classList.add("js");
function wrapTables(root) {
  root.querySelectorAll("table.list").forEach(function (table) {
    if (table.parentElement.classList.contains("table-scroll")) return;
    var box = document.createElement("div");
    box.className = "table-scroll";
    box.setAttribute("role", "region");
    box.setAttribute("tabindex", "0");
    var caption = table.querySelector("caption");
    var heading = caption ? null : (table.closest("section, main") || document).querySelector("h1, h2");
    var name = table.getAttribute("aria-label") || (caption || heading || {}).textContent || document.title;
    box.setAttribute("aria-label", name.trim());
    table.parentNode.insertBefore(box, table);
    box.appendChild(table);
  });
}
wrapTables(document);
document.addEventListener("htmx:afterSwap", function (event) { wrapTables(event.target); });

// Bulk actions: a "select all on this page" box ticks every row's box of the same name.
document.addEventListener("change", function (event) {
  var all = event.target.closest("[data-select-all]");
  if (!all) return;
  var form = all.closest("form") || document;
  form.querySelectorAll('input[type="checkbox"][name="' + all.getAttribute("data-select-all") + '"]').forEach(function (box) {
    box.checked = all.checked;
  });
});

// Bulk actions: only the fields the chosen action needs are shown (all are, without script).
function showBulkFields(select) {
  var bar = select.closest(".bulk-bar");
  bar.querySelectorAll("[data-bulk-for]").forEach(function (field) {
    field.hidden = field.getAttribute("data-bulk-for") !== select.value;
  });
}
document.querySelectorAll('.bulk-bar select[name="action"]').forEach(showBulkFields);
document.addEventListener("change", function (event) {
  if (event.target.matches('.bulk-bar select[name="action"]')) showBulkFields(event.target);
});

// Keyboard shortcuts: "/" searches, "g" then a letter goes to a list, "?" lists them. Never while typing.
(function () {
  var pending = "";
  var places = { i: "/items/", c: "/cases/", n: "/notices/", h: "/" };
  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]");
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var help = document.getElementById("shortcut-help");
    if (event.key === "Escape" && help && !help.hidden) { help.hidden = true; return; }
    if (pending === "g" && places[event.key]) { window.location.href = places[event.key]; pending = ""; return; }
    pending = event.key === "g" ? "g" : "";
    if (event.key === "/") {
      var box = document.getElementById("top-search");
      if (box) { event.preventDefault(); box.focus(); }
    } else if (event.key === "?" && help) {
      help.hidden = !help.hidden;
      if (!help.hidden) help.querySelector("button").focus();
    }
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-close-help]")) document.getElementById("shortcut-help").hidden = true;
  });
})();
