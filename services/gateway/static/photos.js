// Photo fields (`input[type=file][data-photos]`): a tablet's camera gives one photo per shot, and choosing
// again would replace it; here each shot is added to the field's list (up to data-max), listed by name
// and size, and any one can be removed before the form is sent.
(function () {
  if (typeof DataTransfer === 'undefined') return; // an old browser: the plain field, one choice at a time
  document.querySelectorAll('input[type=file][data-photos]').forEach(function (input) {
    var kept = new DataTransfer();
    var list = document.getElementById(input.dataset.photos);
    var max = parseInt(input.dataset.max || '9', 10);

    function show() {
      input.files = kept.files;
      if (!list) return;
      list.textContent = '';
      Array.prototype.forEach.call(kept.files, function (file, index) {
        var item = document.createElement('li');
        item.textContent = '第' + (index + 1) + '张：' + file.name + '（' + Math.max(1, Math.round(file.size / 1024)) + ' KB）';
        var remove = document.createElement('button');
        remove.type = 'button';
        remove.className = 'link';
        remove.textContent = '移除';
        remove.setAttribute('aria-label', '移除第' + (index + 1) + '张照片');
        remove.addEventListener('click', function () {
          var next = new DataTransfer();
          Array.prototype.forEach.call(kept.files, function (f, i) { if (i !== index) next.items.add(f); });
          kept = next;
          show();
        });
        item.appendChild(document.createTextNode(' '));
        item.appendChild(remove);
        list.appendChild(item);
      });
      if (kept.files.length >= max) {
        var full = document.createElement('li');
        full.className = 'hint';
        full.textContent = '已达 ' + max + ' 张上限';
        list.appendChild(full);
      }
    }

    // Too much for one request: said before sending, not by an error page that loses what was typed.
    var maxBytes = parseInt(input.dataset.maxBytes || '0', 10);
    if (input.form && maxBytes) {
      input.form.addEventListener('submit', function (event) {
        var total = Array.prototype.reduce.call(kept.files, function (sum, f) { return sum + f.size; }, 0);
        if (total > maxBytes) {
          event.preventDefault();
          event.stopImmediatePropagation();
          window.alert('照片合计 ' + Math.round(total / 1048576) + ' MB，超过 ' + Math.round(maxBytes / 1048576) +
                       ' MB 的上限，请移除部分照片后再提交。');
        }
      });
    }

    input.addEventListener('change', function () {
      Array.prototype.forEach.call(input.files, function (file) {
        var known = Array.prototype.some.call(kept.files, function (f) {
          return f.name === file.name && f.size === file.size && f.lastModified === file.lastModified;
        });
        if (!known && kept.files.length < max) kept.items.add(file);
      });
      show();
    });
  });
})();
