// Accessibility fixes for the static book, checked by axe-core in tests/test_site.py.
// JupyterQuiz draws a "Type numeric answer here:" label next to each numeric answer box
// but does not tie it to the box; tie it, so the box has an accessible name.
(function () {
  function labelAnswerBoxes() {
    document.querySelectorAll("input.Input-text").forEach(function (input) {
      var label = input.previousElementSibling;
      if (input.id && label && label.classList.contains("InpLabel") && !label.htmlFor) {
        label.htmlFor = input.id;
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    labelAnswerBoxes();
    new MutationObserver(labelAnswerBoxes).observe(document.body, {childList: true, subtree: true});
  });
})();
