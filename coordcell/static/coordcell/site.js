/* On a phone every table of the page becomes a stack of cards (site.css, "cards"): each cell
   shows its column's heading as a label, taken here from the table's last heading row so that
   no template repeats its headings; wider screens scroll a wide table inside its own box.
   Tables are labelled again whenever htmx puts new content in. Without this script the tables
   keep their columns on every screen. */
(function () {
  "use strict";

  function headings(table) {
    var rows = table.tHead ? table.tHead.rows : [];
    var names = [];
    if (!rows.length) return names;
    Array.prototype.forEach.call(rows[rows.length - 1].cells, function (cell) {
      for (var i = 0; i < (cell.colSpan || 1); i++) names.push(cell.textContent.trim());
    });
    return names;
  }

  // A table wider than the screen scrolls inside a box of its own (pico's overflow-auto), never
  // the page: on a tablet on its side, or a laptop, where its rows are not yet cards.
  function contain(table) {
    var parent = table.parentElement;
    if (!parent || parent.classList.contains("overflow-auto")) return;
    var box = document.createElement("div");
    box.className = "overflow-auto";
    parent.insertBefore(box, table);
    box.appendChild(table);
  }

  function label(root) {
    Array.prototype.forEach.call(root.querySelectorAll("main table"), function (table) {
      var names = headings(table);
      if (!names.length) return;
      Array.prototype.forEach.call(table.tBodies, function (body) {
        Array.prototype.forEach.call(body.rows, function (row) {
          var column = 0;
          Array.prototype.forEach.call(row.cells, function (cell) {
            var name = names[column];
            // A cell across several columns is a message ("nothing yet"), not a value.
            if (name && cell.colSpan === 1 && !cell.hasAttribute("data-label")) {
              cell.setAttribute("data-label", name);
            }
            column += cell.colSpan || 1;
          });
        });
      });
      table.classList.add("cards");
      contain(table);
    });
  }

  label(document);
  // htmx:load comes from every piece of content htmx puts in, whatever the swap.
  document.addEventListener("htmx:load", function () {
    label(document);
  });
})();
