// XLSX import as a job: upload (with its progress), then the job's progress polled from its status URL,
// then its result with a downloadable error report (CSV with BOM for Excel). The job runs in the ledger:
// leaving the page does not stop it, and /ledger/import?job=<id> shows it again.
(function () {
  var form = document.getElementById('import-form');
  if (!form) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var lastErrors = [];
  // The key made with the page: sending the same form twice queues one job. Any change to the form makes
  // it another request, so it gets another key (a check first, then the real import, say).
  var baseKey = form.elements['idempotency_key'].value;
  var version = 0;
  form.addEventListener('change', function () { version += 1; });
  var PHASES = { reading: '正在读取文件', checking: '正在逐行检查', writing: '正在写入台账' };
  var POLL_MS = 1000;

  function show(id, on) { document.getElementById(id).hidden = !on; }
  var bar = document.getElementById('progress');
  var text = document.getElementById('progress-text');

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var data = new FormData(form);
    data.delete('idempotency_key');
    data.delete('csrf_token');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/ledger/import');
    xhr.setRequestHeader('X-CSRF-Token', csrf);
    xhr.setRequestHeader('Idempotency-Key', baseKey + '.' + version);
    xhr.setRequestHeader('Accept', 'application/json');
    show('progress-box', true);
    show('report', false);
    bar.value = 0;
    text.textContent = '正在上传…';
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        text.textContent = '已上传 ' + bar.value + '%';
      }
    };
    xhr.upload.onload = function () { text.textContent = '上传完成，正在检查文件…'; };
    xhr.onload = function () {
      var body = parse(xhr.responseText);
      if (xhr.status !== 202) { refused(xhr.status, body); return; }
      var url = xhr.getResponseHeader('Location');
      // The page's address names the job, so a reload or a return shows it again.
      history.replaceState(null, '', '/ledger/import?job=' + encodeURIComponent(body.id));
      progress(body);
      poll(url, 0);
    };
    xhr.onerror = function () { text.textContent = '网络错误，请重试。'; };
    xhr.send(data);
  });

  function parse(raw) {
    try { return JSON.parse(raw); } catch (e) { return { detail: raw }; }
  }

  function poll(url, failures) {
    var xhr = new XMLHttpRequest();
    xhr.open('GET', url);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.onload = function () {
      var body = parse(xhr.responseText);
      if (xhr.status === 200) {
        if (body.state === 'finished' || body.state === 'failed') { done(body); return; }
        progress(body);
        setTimeout(function () { poll(url, 0); }, POLL_MS);
      } else if (xhr.status === 404) {
        refused(404, { detail: '导入任务不存在或已过保留期' });
      } else {
        retry(url, failures);
      }
    };
    xhr.onerror = function () { retry(url, failures); };
    xhr.send();
  }

  // The job goes on in the ledger whatever the page sees: a lost status call is only asked again.
  function retry(url, failures) {
    text.textContent = '暂时无法获取进度，正在重试…（导入仍在后台进行）';
    setTimeout(function () { poll(url, failures + 1); }, Math.min(POLL_MS * Math.pow(2, failures), 15000));
  }

  function progress(job) {
    show('progress-box', true);
    if (job.state === 'queued') {
      bar.removeAttribute('value');
      text.textContent = '排队等待导入…';
      return;
    }
    var label = PHASES[job.phase] || '正在导入';
    if (job.phase_total > 0) {
      bar.value = Math.floor((job.done / job.phase_total) * 100);
      text.textContent = label + '：' + job.done + ' / ' + job.phase_total + ' 行' +
        (job.phase === 'writing' ? '（已新建 ' + job.created + ' 项）' : '');
    } else {
      bar.removeAttribute('value');
      text.textContent = label + (job.done ? '：已读取 ' + job.done + ' 行' : '…');
    }
  }

  function refused(status, body) {
    show('report', true);
    var fields = body.errors && !Array.isArray(body.errors)
      ? Object.keys(body.errors).map(function (k) { return body.errors[k]; }).join('；') : '';
    document.getElementById('summary').textContent =
      '导入失败：' + (body.detail || body.title || status) + (fields ? '（' + fields + '）' : '');
    text.textContent = '';
    show('download-errors', false);
    document.getElementById('errors').hidden = true;
  }

  function summaryOf(job) {
    var errors = job.error_rows || 0;
    var counts = '共读取 ' + (job.rows || 0) + ' 行';
    if (job.state === 'failed') {
      return '导入失败：' + job.failure + (job.created ? '（已写入 ' + job.created + ' 项）' : '');
    }
    if (job.outcome === 'validated') {
      return '检查完毕，未写入：' + counts + '，可导入 ' + (job.passed || 0) + ' 行，重复 ' +
        (job.duplicates || 0) + ' 行，错误 ' + errors + ' 行。';
    }
    if (job.outcome === 'rejected') {
      return '有错误行，全部未写入：' + counts + '，错误 ' + errors + ' 行，重复 ' + (job.duplicates || 0) +
        ' 行。请改正后重新导入。';
    }
    return '已导入：' + counts + '，新建 ' + (job.created || 0) + ' 项，重复 ' + (job.duplicates || 0) +
      ' 项，错误 ' + errors + ' 行。';
  }

  function done(job) {
    show('progress-box', true);
    bar.value = 100;
    text.textContent = job.state === 'failed' ? '失败' : '完成';
    show('report', true);
    document.getElementById('summary').textContent = summaryOf(job);
    var table = document.getElementById('errors');
    var tbody = table.querySelector('tbody');
    tbody.innerHTML = '';
    lastErrors = [];
    (job.errors || []).forEach(function (e) {
      var tr = document.createElement('tr');
      [e.row, e.field, e.message].forEach(function (v) {
        var td = document.createElement('td');
        td.textContent = v === undefined ? '' : v;
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
      lastErrors.push([e.row, e.field, e.message]);
    });
    table.hidden = lastErrors.length === 0;
    show('download-errors', lastErrors.length > 0);
  }

  document.getElementById('download-errors').addEventListener('click', function () {
    var lines = [['行号', '字段', '问题']].concat(lastErrors).map(function (row) {
      return row.map(function (v) {
        var cell = String(v === undefined ? '' : v);
        // A cell that starts like a formula is opened by Excel as one: keep it text.
        if (/^[=+\-@\t\r]/.test(cell)) { cell = "'" + cell; }
        return '"' + cell.replace(/"/g, '""') + '"';
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

  // Opened for a job (?job=<id>, from the recent imports or after a reload): follow it.
  var shown = document.getElementById('report').getAttribute('data-job');
  if (shown) {
    text.textContent = '正在获取导入状态…';
    poll('/api/v1/ledger/imports/' + encodeURIComponent(shown), 0);
  }
})();
