// Filters the catalog index table: a text box and one button per category (catalog/index.md).
document$.subscribe(function () {
  var table = document.querySelector("article table");
  var input = document.getElementById("catalog-filter");
  if (!table || !input) return;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  var active = "";
  function apply() {
    var text = input.value.toLowerCase();
    rows.forEach(function (row) {
      var matchesText = row.textContent.toLowerCase().indexOf(text) !== -1;
      var matchesCategory = !active || (row.getAttribute("data-categories") || row.textContent).indexOf(active) !== -1;
      row.style.display = matchesText && matchesCategory ? "" : "none";
    });
  }
  input.addEventListener("input", apply);
  document.querySelectorAll("[data-category-filter]").forEach(function (button) {
    button.addEventListener("click", function () {
      active = active === button.getAttribute("data-category-filter") ? "" : button.getAttribute("data-category-filter");
      document.querySelectorAll("[data-category-filter]").forEach(function (b) {
        b.classList.toggle("md-button--primary", b.getAttribute("data-category-filter") === active);
      });
      apply();
    });
  });
});
