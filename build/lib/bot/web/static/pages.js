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
