// Behaviour for the service's pages, kept out of the HTML so the Content-Security-Policy allows no inline script.
// <button data-print> prints the page; <form data-confirm="…"> asks before it is sent.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// <input type="checkbox" data-select-all="ids"> (shown only where this script runs) ticks or clears every box
// named "ids" in its form, and shows whether all, some or none are ticked.
function selectAllState(box) {
  var boxes = box.form.querySelectorAll('input[type=checkbox][name="' + box.getAttribute("data-select-all") + '"]');
  var ticked = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
  box.checked = boxes.length > 0 && ticked === boxes.length;
  box.indeterminate = ticked > 0 && ticked < boxes.length;
}
document.querySelectorAll("[data-select-all]").forEach(function (box) {
  var hiddenLabel = box.closest("[hidden]");
  if (hiddenLabel) {
    hiddenLabel.hidden = false;
  }
  selectAllState(box);
});
document.addEventListener("change", function (event) {
  var box = event.target;
  var name = box.getAttribute("data-select-all");
  if (name) {
    box.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) { b.checked = box.checked; });
  } else if (box.form && box.name) {
    box.form.querySelectorAll("[data-select-all]").forEach(selectAllState);
  }
});
