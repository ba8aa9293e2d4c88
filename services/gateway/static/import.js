// XLSX import with an upload progress bar and a downloadable error report (CSV with BOM for Excel).
(function () {
  var form = document.getElementById('import-form');
  if (!form) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var lastErrors = [];
  // The key made with the page: sending the same form twice imports once. Any change to the form makes
  // it another request, so it gets another key (a dry run, then the real import, say).
  var baseKey = form.elements['idempotency_key'].value;
  var version = 0;
  form.addEventListener('change', function () { version += 1; });

  function show(id, on) { document.getElementById(id).hidden = !on; }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var data = new FormData(form);
    if (!document.getElementById('dry_run').checked) data.delete('dry_run');
    data.delete('idempotency_key');
    data.delete('csrf_token');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/ledger/import');
    xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.setRequestHeader('Idempotency-Key', baseKey + '.' + version);
    xhr.setRequestHeader('Accept', 'application/json');
    show('progress-box', true);
    show('report', false);
    var bar = document.getElementById('progress');
    var text = document.getElementById('progress-text');
    bar.value = 0;
    text.textContent = '正在上传…';
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        text.textContent = '已上传 ' + bar.value + '%';
      }
    };
    xhr.upload.onload = function () { text.textContent = '上传完成，正在逐行检查…'; };
    xhr.onload = function () {
      bar.value = 100;
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = { detail: xhr.responseText }; }
      report(xhr.status, body);
    };
    xhr.onerror = function () { text.textContent = '网络错误，请重试。'; };
    xhr.send(data);
  });

  function report(status, body) {
    show('report', true);
    var summary = document.getElementById('summary');
    var table = document.getElementById('errors');
    var tbody = table.querySelector('tbody');
    tbody.innerHTML = '';
    lastErrors = [];
    if (status !== 200) {
      var fields = body.errors ? Object.keys(body.errors).map(function (k) { return body.errors[k]; }).join('；') : '';
      summary.textContent = '导入失败：' + (body.detail || body.title || status) + (fields ? '（' + fields + '）' : '');
      document.getElementById('progress-text').textContent = '';
      show('download-errors', false);
      table.hidden = true;
      return;
    }
    var errors = body.errors || [];
    var verdict = body.committed ? '已写入' : (errors.length ? '未写入（有错误行）' : '仅检查，未写入');
    summary.textContent = '共读取 ' + (body.rows || 0) + ' 行：新建 ' + (body.created || 0) + ' 项，重复 ' +
      (body.duplicates || 0) + ' 项，错误 ' + errors.length + ' 处；' + verdict + '。';
    document.getElementById('progress-text').textContent = '完成';
    errors.forEach(function (e) {
      var tr = document.createElement('tr');
      [e.row, e.field, e.message].forEach(function (v) {
        var td = document.createElement('td');
        td.textContent = v === undefined ? '' : v;
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
      lastErrors.push([e.row, e.field, e.message]);
    });
    table.hidden = errors.length === 0;
    show('download-errors', errors.length > 0);
  }

  document.getElementById('download-errors').addEventListener('click', function () {
    var lines = [['行号', '字段', '问题']].concat(lastErrors).map(function (row) {
      return row.map(function (v) {
        var text = String(v === undefined ? '' : v);
        // A cell that starts like a formula is opened by Excel as one: keep it text.
        if (/^[=+\-@\t\r]/.test(text)) { text = "'" + text; }
        return '"' + text.replace(/"/g, '""') + '"';
      }).join(',');
    });
    var blob = new Blob(['\ufeff' + lines.join('\r\n')], { type: 'text/csv;charset=utf-8' });
    var link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = '导入错误报告.csv';
    document.body.appendChild(link);
    link.click();
    link.remove();
  });
})();
