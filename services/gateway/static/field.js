// 现场督查 on a tablet, offline all day (templates/field/shell.html). What it shows comes from IndexedDB (via
// idb, static/vendor): the day's bundle of a plan (its units, their ledger rows, leads, the checklist, the
// findings awaiting 回头看). What the inspector records (visits, findings with photos, 回头看) is queued there
// first - each with its own client key, the device's position and time at capture - and synced from this page
// in the order it was saved: on the online event, on a timer and on the button; never by Background Sync.
// A retry sends the same key, so a dropped upload never makes a second record. A record the service refuses
// (the finding was closed meanwhile, the plan changed) stays in the queue with the reason, never dropped.
(function () {
  'use strict';
  const API = '/api/v1';
  const SYNC_EVERY_MS = 30000;
  const UPLOAD_TIMEOUT_MS = 120000;
  const FIX_MAX_AGE_MS = 5 * 60000;
  const QUOTA_WARNING = 0.8;
  const UNSYNCED = 'X-Duban-Unsynced';

  const dbp = idb.openDB('duban-field', 1, {
    upgrade(db) {
      db.createObjectStore('meta'); // device (the token), refusal (why sync was refused), current plan id
      db.createObjectStore('days', { keyPath: 'plan.id' }); // the day's bundle of each plan taken along
      db.createObjectStore('queue', { keyPath: 'key' }).createIndex('seq', 'seq'); // unsynced records
      db.createObjectStore('synced', { keyPath: 'key' }); // what synced: key -> the record's id there
    },
  });
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => {
      if (value === false || value === null || value === undefined) return;
      if (name === 'onclick') node.addEventListener('click', value);
      else if (name === 'text') node.textContent = value;
      else node.setAttribute(name, value === true ? '' : value);
    });
    children.flat().forEach((child) => {
      if (child !== null && child !== undefined && child !== false) node.append(child);
    });
    return node;
  }

  function clock(iso) {
    const d = new Date(iso);
    const pad = (n) => String(n).padStart(2, '0');
    return `${d.getMonth() + 1}月${d.getDate()}日 ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }

  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // -- binding: the bind page hands the token to this tablet's storage once, then opens the field page.
  const bound = $('bound');
  if (bound) {
    dbp.then(async (db) => {
      await db.put('meta', { token: bound.dataset.token, id: Number(bound.dataset.id), name: bound.dataset.name }, 'device');
      await db.delete('meta', 'refusal');
      window.location.replace(bound.dataset.next || '/field/');
    });
    return;
  }
  if (!$('sync-banner')) return;

  if ('serviceWorker' in navigator) {
    navigator.serviceWorker.register('/field/sw.js', { scope: '/field/' }).catch(() => {});
  }

  const state = { device: null, refusal: null, day: null, syncing: false, fix: null, me: null };

  // -- position: watched from the start; saving takes the latest fix there is and never waits for one.
  if (navigator.geolocation) {
    navigator.geolocation.watchPosition((p) => {
      state.fix = { latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy: p.coords.accuracy, at: Date.now() };
      showFix();
    }, () => showFix(), { enableHighAccuracy: true, maximumAge: 60000 });
  }
  function currentFix() {
    return state.fix && Date.now() - state.fix.at < FIX_MAX_AGE_MS ? state.fix : null;
  }
  function showFix() {
    const fix = currentFix();
    const words = fix ? `定位：已取得（精度约 ${Math.round(fix.accuracy)} 米，WGS-84）` : '定位：暂未取得（不影响保存）';
    document.querySelectorAll('.position-status').forEach((p) => { p.textContent = words; });
  }

  // -- the device token on every call; a refusal of the token itself stops syncing and says why.
  async function call(method, path, body, timeout) {
    const queue = await (await dbp).count('queue');
    const headers = { Authorization: `Bearer ${state.device.token}`, [UNSYNCED]: String(queue) };
    if (body && !(body instanceof FormData)) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(body);
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout || 30000);
    try {
      const response = await fetch(API + path, { method, headers, body, signal: abort.signal, cache: 'no-store' });
      const text = await response.text();
      let json = null;
      try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
      return { status: response.status, json };
    } finally {
      clearTimeout(timer);
    }
  }

  async function refused(answer) {
    if (answer.status !== 401) return false;
    const reason = (answer.json && answer.json.reason) || 'device_unknown';
    const detail = (answer.json && answer.json.detail) || '本平板的设备令牌无效，请重新绑定；未同步的记录仍保存在本平板上';
    state.refusal = { reason, detail, at: new Date().toISOString() };
    await (await dbp).put('meta', state.refusal, 'refusal');
    return true;
  }

  // -- the day's bundle
  async function takeDay(planId) {
    const note = $('sync-note');
    note.textContent = '正在下载今天的督查…';
    let answer;
    try {
      answer = await call('GET', `/inspection/plans/${encodeURIComponent(planId)}/bundle`);
    } catch (e) {
      note.textContent = '网络不通，未能下载；已存的方案仍可离线使用';
      return;
    }
    if (await refused(answer)) { render(); return; }
    if (answer.status !== 200) {
      note.textContent = `未能下载：${(answer.json && answer.json.detail) || answer.status}`;
      return;
    }
    const db = await dbp;
    const before = await db.get('days', planId);
    const day = Object.assign(answer.json, { stored_at: new Date().toISOString() });
    if (before && before.plan.version !== day.plan.version) {
      const change = (day.plan.changes || []).slice(-1)[0];
      day.changed_notice = `方案已变更（第 ${before.plan.version} 版 → 第 ${day.plan.version} 版）` +
        (change ? `：${change.summary || ''}${change.reason ? `（理由：${change.reason}）` : ''}` : '') +
        '。本平板已改存新方案；已保存的记录照常同步，与新方案不符的会在下方列出。';
    } else if (before && before.changed_notice) {
      day.changed_notice = before.changed_notice;
    }
    await db.put('days', day);
    await db.put('meta', planId, 'current');
    state.day = day;
    note.textContent = `已存到本平板（${clock(day.stored_at)}），离线也可查看`;
    render();
  }

  // -- photos: shrunk here to the service's limits before they are queued
  async function shrink(file, limits) {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const fit = Math.min(1, limits.long_side / Math.max(bitmap.width, bitmap.height),
      Math.sqrt(limits.max_pixels / (bitmap.width * bitmap.height)));
    let width = Math.max(1, Math.round(bitmap.width * fit));
    let height = Math.max(1, Math.round(bitmap.height * fit));
    for (let round = 0; round < 6; round += 1) {
      const canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
      for (const quality of [0.85, 0.75, 0.65, 0.55]) {
        const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
        if (blob && blob.size <= limits.max_bytes) return blob;
      }
      width = Math.round(width * 0.8);
      height = Math.round(height * 0.8);
    }
    throw new Error('照片无法压缩到上限以内');
  }

  function photoField(input, list, picked) {
    input.addEventListener('change', async () => {
      const limits = state.day.photo_limits;
      for (const file of Array.from(input.files)) {
        if (picked.length >= limits.max_photos) break;
        try {
          const blob = await shrink(file, limits);
          picked.push({ name: file.name.replace(/\.[^.]*$/, '') + '.jpg', blob });
        } catch (e) {
          list.after(el('p', { class: 'error', role: 'alert', text: `${file.name}：${e.message}` }));
        }
      }
      input.value = '';
      list.replaceChildren(...picked.map((p, i) => el('li', {},
        el('img', { src: URL.createObjectURL(p.blob), alt: `第${i + 1}张照片` }),
        el('span', { class: 'photo-meta', text: `${Math.max(1, Math.round(p.blob.size / 1024))} KB` }))));
    });
  }

  // -- queueing: saved here at once (the position is whatever fix there is)
  async function enqueue(kind, target, fields, photos, label, extra) {
    const db = await dbp;
    const fix = currentFix();
    const record = Object.assign({
      key: newKey(), seq: Date.now() + Math.random(), kind, plan_id: state.day.plan.id, target, fields,
      photos: photos || [], position: fix ? { latitude: fix.latitude, longitude: fix.longitude, accuracy: fix.accuracy } : null,
      device_time: new Date().toISOString(), state: 'pending', error: '', attempts: 0, label,
    }, extra || {});
    await db.put('queue', record);
    await render();
    if (navigator.onLine) sync();
    return record;
  }

  function formData(record) {
    const form = new FormData();
    Object.entries(record.fields).forEach(([name, value]) => { if (value !== '' && value !== null) form.append(name, value); });
    form.append('client_key', record.key);
    record.photos.forEach((p) => form.append('photos', p.blob, p.name));
    return form;
  }

  async function request(record) {
    const db = await dbp;
    if (record.kind === 'visit') {
      const body = Object.assign({}, record.fields, { client_key: record.key, visited_at: record.device_time });
      return call('POST', `/inspection/plans/${record.target}/visits`, body);
    }
    if (record.kind === 'finding') {
      const form = formData(record);
      form.append('device_time', record.device_time);
      if (record.position) {
        form.append('latitude', record.position.latitude);
        form.append('longitude', record.position.longitude);
        form.append('accuracy', record.position.accuracy);
      }
      const visit = record.visit_key ? await db.get('synced', record.visit_key) : null;
      if (visit) form.append('visit_id', visit.id);
      return call('POST', `/inspection/plans/${record.target}/findings`, form, UPLOAD_TIMEOUT_MS);
    }
    return call('POST', `/inspection/findings/${record.target}/rectification/verification`, formData(record), UPLOAD_TIMEOUT_MS);
  }

  function refusalText(json, status) {
    if (!json) return `服务返回 ${status}`;
    // The field errors are the service's words for people; the detail is in English for domain refusals.
    const fields = Object.values(json.errors || {}).filter(Boolean);
    return (fields.length ? fields.join('；') : json.detail) || `服务返回 ${status}`;
  }

  // -- sync: in saving order, one at a time; a dropped connection stops the round and the next resumes
  async function sync() {
    if (state.syncing || !state.device) return;
    state.syncing = true;
    const note = $('sync-note');
    try {
      const db = await dbp;
      state.refusal = (await db.get('meta', 'refusal')) || null;
      const records = (await db.getAllFromIndex('queue', 'seq')).filter((r) => r.state !== 'conflict');
      for (const record of records) {
        note.textContent = `正在同步：${record.label}`;
        let answer;
        try {
          answer = await request(record);
        } catch (e) {
          note.textContent = '网络中断，未同步的记录保留在本平板，联网后自动继续';
          return;
        }
        if (await refused(answer)) {
          note.textContent = '同步被拒绝，原因见上方；记录仍保存在本平板上';
          return;
        }
        if (state.refusal) {
          state.refusal = null;
          await db.delete('meta', 'refusal');
        }
        const transient = answer.status >= 500 || answer.status === 429 || answer.status === 408 ||
          (answer.status === 409 && answer.json && answer.json.errors && answer.json.errors.idempotency_key);
        if (transient) {
          note.textContent = '服务暂时繁忙，稍后自动重试';
          return;
        }
        if (answer.status === 200 || answer.status === 201) {
          const tx = db.transaction(['queue', 'synced'], 'readwrite');
          await tx.objectStore('synced').put({ key: record.key, kind: record.kind, id: answer.json.id, label: record.label,
                                               plan_id: record.plan_id, unit_id: record.fields.unit_id || '',
                                               at: new Date().toISOString() });
          await tx.objectStore('queue').delete(record.key);
          await tx.done;
        } else {
          // Refused for what it is (closed meanwhile, no longer in the plan...): kept, with the reason.
          record.state = 'conflict';
          record.error = refusalText(answer.json, answer.status);
          record.attempts += 1;
          await db.put('queue', record);
        }
        await render();
      }
      if (state.day) await takeDay(state.day.plan.id);
      const left = await db.count('queue');
      if (records.length) note.textContent = left ? `已同步其余记录（${clock(new Date().toISOString())}）；${left} 条未能同步，见下方原因` : `已全部同步（${clock(new Date().toISOString())}）`;
    } finally {
      state.syncing = false;
      await render();
    }
  }

  async function retry(record) {
    const db = await dbp;
    record.state = 'pending';
    record.error = '';
    await db.put('queue', record);
    await render();
    sync();
  }

  // -- the forms
  function open(dialog) {
    showFix();
    dialog.showModal();
  }
  document.querySelectorAll('dialog .cancel').forEach((b) => b.addEventListener('click', () => b.closest('dialog').close()));

  const picked = { finding: [], verify: [] };
  photoField($('f-photos'), $('f-previews'), picked.finding);
  photoField($('r-photos'), $('r-previews'), picked.verify);

  function unitOf(unitId) {
    return state.day.units.find((u) => u.unit_id === unitId);
  }

  function openVisit(unit) {
    const form = $('visit-form');
    form.reset();
    form.unit_id.value = unit.unit_id;
    $('visit-title').textContent = `督查记录：${unit.unit_name}`;
    $('v-checks').replaceChildren(el('p', { class: 'verdict-label', text: '核实事项办理过程与结果' }), ...unit.items.map((item) => {
      const radios = (what, label) => el('div', { class: 'verdicts', role: 'radiogroup', 'aria-label': `${label}：${item.item_no}` },
        el('span', { class: 'verdict-label', text: label }),
        Object.entries(state.day.vocabulary.checks).map(([value, words]) =>
          el('label', {}, el('input', { type: 'radio', name: `${what}-${item.id}`, value }), ` ${words}`)));
      return el('div', { class: 'check-item' }, el('p', {}, el('span', { class: 'item-no', text: item.item_no }), ` ${item.title}`),
        radios('process', '办理过程'), radios('result', '办理结果'));
    }));
    open($('visit-dialog'));
  }

  $('visit-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const unit = unitOf(form.unit_id.value);
    const checks = [];
    for (const item of unit.items) {
      const process = form.querySelector(`input[name="process-${item.id}"]:checked`);
      const result = form.querySelector(`input[name="result-${item.id}"]:checked`);
      if (process && result) checks.push({ item_id: item.id, process: process.value, result: result.value, note: '' });
    }
    const fields = { unit_id: unit.unit_id, ledger_kept: form.ledger_kept.checked,
                     ledger_current: form.ledger_kept.checked && form.ledger_current.checked,
                     ledger_note: form.ledger_note.value.trim(), summary: form.summary.value.trim(), checks };
    $('visit-dialog').close();
    await enqueue('visit', state.day.plan.id, fields, [], `督查记录：${unit.unit_name}`);
  });

  function openFinding(unit) {
    const form = $('finding-form');
    form.reset();
    picked.finding.length = 0;
    $('f-previews').replaceChildren();
    $('f-error').hidden = true;
    form.unit_id.value = unit.unit_id;
    $('finding-title').textContent = `记录问题：${unit.unit_name}`;
    $('f-item').replaceChildren(el('option', { value: '', text: '不涉及具体事项' }),
      ...unit.items.map((i) => el('option', { value: i.id, text: `${i.item_no} ${i.title}` })));
    $('f-category').replaceChildren(el('option', { value: '', text: '请选择' }),
      ...Object.entries(state.day.vocabulary.categories).map(([k, v]) => el('option', { value: k, text: v })));
    $('f-severity').replaceChildren(...Object.entries(state.day.vocabulary.severities).map(([k, v]) =>
      el('label', {}, el('input', { type: 'radio', name: 'severity', value: k, checked: k === 'general' }),
        ` ${v}${k === 'major' ? '（立即报告领导）' : ''}`)));
    open($('finding-dialog'));
  }

  $('finding-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const error = $('f-error');
    if (!form.text.value.trim() || !form.category.value) {
      error.textContent = '请填写发现的问题并选择问题类别';
      error.hidden = false;
      return;
    }
    const unit = unitOf(form.unit_id.value);
    const db = await dbp;
    const visits = (await db.getAllFromIndex('queue', 'seq')).concat(await db.getAll('synced'))
      .filter((r) => r.kind === 'visit' && r.plan_id === state.day.plan.id && (r.fields || r).unit_id === unit.unit_id);
    const fields = { unit_id: unit.unit_id, item_id: form.item_id.value, text: form.text.value.trim(),
                     category: form.category.value, severity: form.severity.value, place: form.place.value.trim() };
    const photos = picked.finding.splice(0);
    $('finding-dialog').close();
    await enqueue('finding', state.day.plan.id, fields, photos,
      `问题：${unit.unit_name} · ${fields.text.slice(0, 24)}${photos.length ? ` · 照片 ${photos.length} 张` : ''}`,
      { visit_key: visits.length ? visits[visits.length - 1].key : '' });
  });

  function openVerify(finding) {
    const form = $('verify-form');
    form.reset();
    picked.verify.length = 0;
    $('r-previews').replaceChildren();
    $('r-error').hidden = true;
    form.finding_id.value = finding.id;
    const round = (finding.rectification.rounds || []).slice(-1)[0] || {};
    $('verify-what').textContent = `${finding.unit_name}：${finding.text}\n整改要求：${round.requirement || '—'}\n单位报送：${(round.report && round.report.text) || '—'}`;
    open($('verify-dialog'));
  }

  $('verify-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    if (!form.text.value.trim() && !picked.verify.length) {
      $('r-error').textContent = '请填写回头看情况或附照片';
      $('r-error').hidden = false;
      return;
    }
    const finding = state.day.findings.find((f) => f.id === form.finding_id.value);
    const fields = { passed: form.passed.value, text: form.text.value.trim() };
    const photos = picked.verify.splice(0);
    $('verify-dialog').close();
    await enqueue('verification', finding.id, fields, photos,
      `回头看（${fields.passed === 'true' ? '通过' : '未通过'}）：${finding.unit_name} · ${finding.text.slice(0, 20)}`);
  });

  // -- drawing the page from what is stored
  function ledgerTable(unit) {
    if (!unit.items.length) return el('p', { class: 'hint', text: '该单位暂无在办事项' });
    return el('div', { class: 'table-wrap' }, el('table', {},
      el('caption', { class: 'sr-only', text: `${unit.unit_name}的台账` }),
      el('thead', {}, el('tr', {}, ['编号', '督查事项', '完成时限', '状态', '责任人', '办理结果'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, unit.items.map((i) => el('tr', {},
        el('td', { class: 'item-no', text: i.item_no }), el('td', { text: i.title }),
        el('td', { class: 'nowrap', text: i.due_date || '—' }), el('td', { class: 'nowrap', text: i.status_label }),
        el('td', { class: 'nowrap', text: i.responsible_person || '—' }), el('td', { text: i.result || '—' }))))));
  }

  function drawDay(day, queued) {
    const plan = day.plan;
    $('day-title').textContent = plan.title;
    $('day-meta').textContent = `${plan.plan_no || ''} ${day.vocabulary.plan_statuses[plan.status] || plan.status} · ` +
      `${plan.starts_on || ''} 至 ${plan.ends_on || ''} · 存于本平板：${clock(day.stored_at)}`;
    $('day-changed').hidden = !day.changed_notice;
    $('day-changed').textContent = day.changed_notice || '';
    $('checklist').replaceChildren(...day.checklist.map((line) => el('li', { text: line })));
    $('preparation').textContent = plan.preparation || '';
    const open = ['approved', 'under_way'].includes(plan.status);
    $('units').replaceChildren(...day.units.map((unit) => {
      const visitQueued = queued.some((r) => r.kind === 'visit' && r.fields.unit_id === unit.unit_id);
      return el('section', { class: 'card unit', 'aria-label': unit.unit_name },
        el('h2', {}, unit.unit_name, el('small', { text: ` ${unit.place || ''} ${unit.scheduled_on || ''}` })),
        el('p', { class: 'hint', text: unit.visit_id ? '已有督查记录' : (visitQueued ? '督查记录已保存，待同步' : '尚未填写督查记录') }),
        unit.leads.length ? el('div', {}, el('h3', { text: '问题线索' }), el('ul', { class: 'plain' },
          unit.leads.map((x) => el('li', { text: `${x.text}${x.source ? `（${x.source}）` : ''}` })))) : null,
        el('h3', { text: '台账' }), ledgerTable(unit),
        open ? el('div', { class: 'actions-bar unit-acts' },
          el('button', { type: 'button', class: 'big', onclick: () => openVisit(unit) }, '填写督查记录', el('span', { class: 'sr-only', text: `：${unit.unit_name}` })),
          el('button', { type: 'button', class: 'primary big', onclick: () => openFinding(unit) }, '记录问题', el('span', { class: 'sr-only', text: `：${unit.unit_name}` }))) : null);
    }));
    const waiting = day.findings.filter((f) => f.rectification && f.rectification.status === 'reported');
    $('reinspect').replaceChildren(waiting.length ? el('ul', { class: 'todo-list' }, waiting.map((f) => {
      const done = queued.some((r) => r.kind === 'verification' && r.target === f.id);
      return el('li', { class: 'todo-entry' }, el('div', {}, el('p', { class: 'todo-item', text: `${f.unit_name}：${f.text}` }),
        el('p', { class: 'todo-meta', text: f.item_no ? `涉及 ${f.item_no}` : '' })),
        done ? el('span', { class: 'tag', text: '回头看已记录，待同步' })
          : el('button', { type: 'button', onclick: () => openVerify(f) }, '回头看', el('span', { class: 'sr-only', text: `：${f.text}` })));
    })) : el('p', { class: 'hint', text: '暂无待回头看的问题' }));
  }

  function drawQueue(queued) {
    $('queue').replaceChildren(...queued.map((r) => el('li', { class: `queued ${r.state}` },
      el('p', { class: 'queued-label', text: r.label }),
      el('p', { class: 'todo-meta', text: `保存于 ${clock(r.device_time)}` +
        (r.position ? ` · 定位精度约 ${Math.round(r.position.accuracy)} 米` : ' · 无定位') }),
      r.state === 'conflict' ? el('p', { class: 'conflict', role: 'note' }, el('strong', { text: '未能同步，已保留在本平板：' }), r.error,
        ' ', el('button', { type: 'button', class: 'link', onclick: () => retry(r) }, '重新提交')) :
        el('p', { class: 'todo-meta', text: state.refusal ? '待同步（本平板已被撤销，不能同步）' : '待同步' }))));
    if (!queued.length) $('queue').replaceChildren(el('li', { class: 'hint empty', text: '没有未同步的记录' }));
  }

  async function drawSynced() {
    const since = Date.now() - 24 * 3600000;
    const synced = (await (await dbp).getAll('synced')).filter((r) => Date.parse(r.at) >= since);
    $('synced').textContent = synced.length ? `近 24 小时已同步 ${synced.length} 条（${synced.filter((r) => r.kind === 'finding').length} 条问题）` : '';
  }

  async function drawStorage(count) {
    const warning = $('storage-warning');
    if (navigator.storage && navigator.storage.estimate) {
      const { usage, quota } = await navigator.storage.estimate();
      const near = quota && usage / quota >= QUOTA_WARNING;
      warning.hidden = !near;
      if (near) warning.textContent = `本平板的存储空间已用 ${Math.round((usage / quota) * 100)}%（约 ${Math.round(usage / 1048576)} MB）：请尽快联网同步，暂少拍照片。`;
    }
    const persisted = navigator.storage && navigator.storage.persisted ? await navigator.storage.persisted() : false;
    const installed = window.matchMedia('(display-mode: standalone)').matches;
    const notice = $('install-notice');
    notice.hidden = !count || persisted || installed;
    $('install-text').textContent = `本平板上有 ${count} 条未同步的记录。请把“现场督查”安装到主屏幕或申请持久保存：` +
      '否则浏览器（如 iPad 的 Safari）可能在 7 天未打开后清除本机数据。';
  }

  async function render() {
    const db = await dbp;
    state.device = (await db.get('meta', 'device')) || null;
    state.refusal = (await db.get('meta', 'refusal')) || null;
    const queued = await db.getAllFromIndex('queue', 'seq');
    const conflicts = queued.filter((r) => r.state === 'conflict').length;
    const banner = $('sync-banner');
    banner.hidden = !queued.length;
    banner.textContent = queued.length ? `${queued.length} 条未同步${conflicts ? `（其中 ${conflicts} 条未能同步，需要处理）` : ''}` : '';
    $('who').textContent = state.device ? `本平板：${state.device.name}` : '未绑定平板';
    $('refusal').hidden = !state.refusal;
    $('refusal').textContent = state.refusal ? `不能同步：${state.refusal.detail}` : '';
    $('bind-panel').hidden = !!state.device && !state.refusal;
    $('bind-link').href = `/field/bind?next=${encodeURIComponent(window.location.pathname + window.location.search)}`;
    $('bind-link').textContent = state.refusal ? '登录并重新绑定本平板' : '登录并绑定本平板';
    $('sync-now').disabled = !state.device || !queued.length;
    const days = await db.getAll('days');
    $('plans-panel').hidden = !state.device || (!!state.day && days.length < 2 && !state.plans);
    drawPlans(days);
    $('day').hidden = !state.day;
    if (state.day) drawDay(state.day, queued);
    drawQueue(queued);
    await drawSynced();
    await drawStorage(queued.length);
  }

  function drawPlans(days) {
    const known = new Map(days.map((d) => [d.plan.id, { plan: d.plan, stored: d.stored_at }]));
    (state.plans || []).forEach((p) => { if (!known.has(p.id)) known.set(p.id, { plan: p, stored: null }); });
    $('plan-list').replaceChildren(...Array.from(known.values()).map(({ plan, stored }) => el('li', { class: 'day-entry' },
      el('span', {}, el('strong', { text: plan.title }), ` ${plan.plan_no || ''}`,
        el('span', { class: 'todo-meta', text: stored ? ` · 已存于本平板（${clock(stored)}）` : ' · 未存到本平板' })),
      el('span', { class: 'row-form' },
        stored && (!state.day || state.day.plan.id !== plan.id) ? el('button', { type: 'button', onclick: () => openDay(plan.id) }, '打开', el('span', { class: 'sr-only', text: plan.title })) : null,
        el('button', { type: 'button', class: 'primary', disabled: !navigator.onLine, onclick: () => takeDay(plan.id) },
          stored ? '更新今天的督查' : '带走今天的督查', el('span', { class: 'sr-only', text: `：${plan.title}` }))))));
  }

  async function openDay(planId) {
    const db = await dbp;
    state.day = (await db.get('days', planId)) || null;
    await db.put('meta', planId, 'current');
    const url = new URL(window.location.href);
    url.searchParams.set('plan', planId);
    window.history.replaceState(null, '', url);
    await render();
  }

  async function listPlans() {
    if (!state.device || !navigator.onLine) return;
    try {
      const answer = await call('GET', '/inspection/plans?page_size=50');
      if (await refused(answer)) return;
      if (answer.status === 200) state.plans = answer.json.plans.filter((p) => ['approved', 'under_way'].includes(p.status));
    } catch (e) {
      state.plans = null;
    }
  }

  function showNet() {
    $('net').textContent = navigator.onLine ? '已联网' : '离线';
    $('net').className = navigator.onLine ? 'net online' : 'net offline';
  }

  // -- install and persisted storage (WebKit may delete a site's data after 7 days unless installed)
  let installPrompt = null;
  window.addEventListener('beforeinstallprompt', (event) => {
    event.preventDefault();
    installPrompt = event;
    $('install-app').hidden = false;
  });
  $('install-app').addEventListener('click', () => { if (installPrompt) installPrompt.prompt(); });
  $('persist-storage').addEventListener('click', async () => {
    const granted = navigator.storage && navigator.storage.persist ? await navigator.storage.persist() : false;
    $('install-text').textContent = granted ? '浏览器已同意持久保存本机数据。' : '浏览器未同意持久保存：请安装到主屏幕，并尽快联网同步。';
  });

  $('sync-now').addEventListener('click', () => sync());
  window.addEventListener('online', () => { showNet(); listPlans().then(render); sync(); });
  window.addEventListener('offline', () => { showNet(); render(); });
  setInterval(() => { if (navigator.onLine) sync(); }, SYNC_EVERY_MS);

  (async function start() {
    showNet();
    const db = await dbp;
    const wanted = new URLSearchParams(window.location.search).get('plan') || (await db.get('meta', 'current'));
    state.day = wanted ? (await db.get('days', wanted)) || null : null;
    await render();
    if (!state.device) return;
    await listPlans();
    if (wanted && !state.day && navigator.onLine && !state.refusal) await takeDay(wanted);
    await render();
    if (navigator.onLine) sync();
  })();
})();
