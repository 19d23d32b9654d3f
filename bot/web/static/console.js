// The console's tables (table.data), kept out of the HTML so the Content-Security-Policy allows no inline script.
// Pages work without it; with it, a column's header sorts the rows by that column (numbers as numbers, text in
// Chinese order) and says so with aria-sort, and a cell the page left unlabelled takes its column's name for the
// phone's card view.
(function () {
  "use strict";
  var NUMBER = /^[#¥]?\s*-?[\d,]*\.?\d+\s*%?$/;
  var collator = new Intl.Collator("zh", { numeric: true, sensitivity: "base" });

  function text(cell) {
    var value = cell ? (cell.getAttribute("data-sort") || cell.textContent).trim() : "";
    return value === "—" ? "" : value;  // no figure (a rate of nobody) sorts with the empty cells
  }

  function number(value) {
    return parseFloat(value.replace(/[#¥,%\s]/g, ""));
  }

  function headers(table) {
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    return row ? Array.prototype.slice.call(row.cells) : [];
  }

  function label(table) {
    var names = headers(table).map(function (th) { return th.textContent.trim(); });
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          if (cell.colSpan === 1 && !cell.hasAttribute("data-label") && names[column]) {
            cell.setAttribute("data-label", names[column]);
          }
          column += cell.colSpan;
        });
      });
    });
  }

  function sort(table, th, column) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    headers(table).forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    Array.prototype.forEach.call(table.tBodies, function (body) {
      var rows = Array.prototype.slice.call(body.rows);
      var values = rows.map(function (row) { return text(row.cells[column]); });
      var numeric = values.every(function (v) { return v === "" || (NUMBER.test(v) && v.length <= 15); });
      var order = rows.map(function (row, i) { return i; });
      order.sort(function (a, b) {
        var x = values[a], y = values[b], c;
        if (x === "" || y === "") {
          c = (x === "") - (y === "");  // empty cells go last either way
          return c || a - b;
        }
        c = numeric ? number(x) - number(y) : collator.compare(x, y);
        return (ascending ? c : -c) || a - b;
      });
      order.forEach(function (i) { body.appendChild(rows[i]); });
    });
  }

  function enhance(table) {
    label(table);
    if (table.hasAttribute("data-unsorted")) {
      return;
    }
    headers(table).forEach(function (th, column) {
      if (th.colSpan !== 1 || !th.textContent.trim()) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.title = "按此列排序";
      while (th.firstChild) {
        button.appendChild(th.firstChild);
      }
      th.appendChild(button);
      button.addEventListener("click", function () { sort(table, th, column); });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("table.data"), enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
