// One-click choices beside a refused field: a button carrying the value the rule suggests (the next working
// day for a deadline on a holiday) fills it into its field; the person still submits the form.
(function () {
  document.querySelectorAll('button[data-fill]').forEach(function (button) {
    button.addEventListener('click', function () {
      var field = document.getElementById(button.dataset.fill);
      if (!field) return;
      field.value = button.dataset.value;
      field.removeAttribute('aria-invalid');
      var error = document.getElementById('err-' + button.dataset.fill);
      if (error) error.textContent = '已改为 ' + button.dataset.value + '，请核对后提交。';
      button.hidden = true;
      field.focus();
    });
  });
})();
