/* The survey runner: one step at a time over the same form that works without JavaScript. The path follows the
   respondent's own answers (an option's data-next, a question's data-when), answers are kept in localStorage so a
   reload resumes, the response is sent once with an idempotency key, and kept in a queue while offline. */
(function () {
  'use strict';
  var form = document.querySelector('form[data-survey]');
  if (!form || !window.localStorage || !window.fetch || !window.JSON || !window.cchcNewKey) return;
  var id = form.getAttribute('data-survey');
  var version = form.getAttribute('data-version');
  var saveKey = 'cchc-khao-sat:' + id + ':' + version;
  var queueKey = 'cchc-khao-sat-hang-doi';
  var steps = [].slice.call(form.querySelectorAll('.survey-step'));
  var first = steps[0];
  var questions = steps.slice(1);
  var byId = {};
  questions.forEach(function (q) { byId[q.getAttribute('data-q')] = q; });
  var back = form.querySelector('[data-action="back"]');
  var next = form.querySelector('[data-action="next"]');
  var restart = form.querySelector('[data-action="restart"]');
  var progress = form.querySelector('.survey-progress');
  var status = form.querySelector('.survey-status');
  var current = 0;
  var key;

  form.classList.add('survey-js');
  form.noValidate = true;
  [].forEach.call(form.querySelectorAll('.survey-skip'), function (e) { e.parentNode.removeChild(e); });

  var newKey = window.cchcNewKey; /* from site.js, loaded before this script */

  /* The commune step (units: xa): the province's communes are fetched when it is chosen (one small JSON file per
     province), and the list is filtered as the respondent types, with or without diacritics. Without JavaScript
     the page offers a link per province instead, to a page whose form lists that province's communes. */
  var communesUrl = form.getAttribute('data-communes');
  var communeList = form.elements.commune && form.elements.commune.tagName === 'SELECT' ? form.elements.commune : null;
  var filter = form.querySelector('input[type="search"][aria-controls]');
  var communeCount = filter && document.getElementById(filter.getAttribute('aria-describedby'));
  var loaded = {}; /* province id → [[code, name], …] */
  var fold = window.cchcFold || function (t) { return t.toLowerCase(); };
  if (communesUrl) {
    form.hidden = false;
    var links = document.querySelector('[data-province-links]');
    if (links) links.hidden = true;
  }

  function fillCommunes(keep) {
    var rows = loaded[form.elements.unit.value] || [];
    var query = fold(filter.value.trim());
    var chosen = keep || communeList.value;
    communeList.textContent = '';
    var shown = rows.filter(function (r) { return !query || fold(r[1]).indexOf(query) !== -1 || r[1] === chosen; });
    shown.forEach(function (r) {
      var o = document.createElement('option');
      o.value = r[0];
      o.textContent = r[1];
      o.selected = r[0] === chosen;
      communeList.appendChild(o);
    });
    if (shown.length === 1 && query) communeList.value = shown[0][0];
    communeCount.textContent = rows.length ? 'Có ' + shown.length + ' trong ' + rows.length + ' xã, phường, đặc khu' + (query ? ' khớp “' + filter.value.trim() + '”.' : '.') : 'Chọn tỉnh, thành phố trước.';
  }

  /* Loads the communes of the chosen province, then shows them (keeping `keep` chosen, e.g. after a reload). */
  function loadCommunes(keep) {
    var unit = form.elements.unit.value;
    filter.disabled = communeList.disabled = !unit;
    if (!unit) { loaded[''] = []; fillCommunes(''); return; }
    if (loaded[unit]) { fillCommunes(keep); return; }
    communeCount.textContent = 'Đang tải danh sách xã, phường…';
    fetch(communesUrl + unit + '.json').then(function (r) { return r.json(); }).then(function (rows) {
      loaded[unit] = rows;
      if (form.elements.unit.value === unit) fillCommunes(keep);
    }).catch(function () { communeCount.textContent = 'Chưa tải được danh sách xã, phường; kiểm tra kết nối mạng rồi chọn lại tỉnh, thành phố.'; });
  }

  function inputs(step) { return [].slice.call(step.querySelectorAll('input, select, textarea')); }

  /* The answer to a question: a value, a list of values, or null. */
  function answer(q) {
    var type = q.getAttribute('data-type');
    var list = inputs(q);
    if (type === 'multiple') {
      var chosen = list.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
      return chosen.length ? chosen : null;
    }
    if (type === 'matrix') {
      var rows = {};
      var count = 0;
      list.forEach(function (i) { if (i.checked) { rows[i.name] = i.value; count++; } });
      return count ? rows : null;
    }
    if (type === 'single' || type === 'rating') {
      var c = list.filter(function (i) { return i.checked; })[0];
      return c ? c.value : null;
    }
    var v = list[0] ? list[0].value.trim() : '';
    return v ? v : null;
  }

  function step(name) { return name === 'end' ? null : byId[name] || null; }

  /* The questions on the respondent's path, given the answers so far. */
  function path() {
    var list = [];
    var q = questions[0];
    for (var guard = 0; q && guard <= questions.length; guard++) {
      var when = q.getAttribute('data-when');
      if (when) {
        var a = byId[when] ? answer(byId[when]) : null;
        var wanted = q.getAttribute('data-when-is').split(' ');
        var holds = a !== null && wanted.some(function (v) { return Array.isArray(a) ? a.indexOf(v) !== -1 : a === v; });
        if (!holds) { q = step(q.getAttribute('data-next')); continue; }
      }
      list.push(q);
      var to = q.getAttribute('data-next');
      if (q.getAttribute('data-type') === 'single') {
        var c = q.querySelector('input:checked');
        if (c && c.getAttribute('data-next')) to = c.getAttribute('data-next');
      }
      q = step(to);
    }
    return list;
  }

  function sequence() { return [first].concat(path()); }

  function setError(s, message) {
    var box = s.querySelector('.field-error');
    if (box) { box.textContent = message; box.hidden = !message; }
    inputs(s).forEach(function (i) { if (message) i.setAttribute('aria-invalid', 'true'); else i.removeAttribute('aria-invalid'); });
  }

  /* What is missing or wrong in a step, or ''. */
  function problem(s) {
    if (s === first) {
      var unit = form.elements.unit;
      if (!unit.value) return communeList ? 'Vui lòng chọn tỉnh, thành phố.' : 'Vui lòng chọn đơn vị.';
      if (communeList && !communeList.value) return 'Vui lòng chọn xã, phường, đặc khu.';
      if (form.elements.code && !form.elements.code.value.trim()) return 'Vui lòng nhập mã truy cập.';
      if (form.elements.code && !/^[0-9a-z]{5}-?[0-9a-z]{5}$/i.test(form.elements.code.value.trim())) return 'Mã truy cập gồm 10 chữ và số, dạng XXXXX-XXXXX, như trên giấy được cấp.';
      return '';
    }
    var a = answer(s);
    var type = s.getAttribute('data-type');
    if (a === null) return s.hasAttribute('data-required') ? 'Vui lòng trả lời câu này.' : '';
    if (type === 'matrix') {
      var rows = s.querySelectorAll('tbody tr').length;
      if (s.hasAttribute('data-required') && Object.keys(a).length < rows) return 'Vui lòng đánh giá tất cả các mục.';
    }
    var field = inputs(s)[0];
    if (type === 'multiple') {
      var hint = s.querySelector('.choices + .hint');
      var m = hint && hint.textContent.match(/(\d+) đến (\d+)/);
      if (m && (a.length < +m[1] || a.length > +m[2])) return hint.textContent;
    }
    if (type === 'number' && (!/^-?\d+$/.test(a) || +a < +field.min || +a > +field.max)) {
      return 'Nhập một số nguyên từ ' + field.min + ' đến ' + field.max + '.';
    }
    return '';
  }

  /* The unit step's problem, with the page's error summary (linked to the field) as on the site's other forms. */
  function refuseUnitStep(message, field) {
    show(0, false);
    if (window.cchcShowErrors) window.cchcShowErrors(form, [{ field: field, message: message }]);
    setError(first, message);
    if (!window.cchcShowErrors) field.focus();
  }

  function unitField(message) {
    if (/mã truy cập/i.test(message)) return form.elements.code;
    return communeList && /xã/.test(message) ? communeList : form.elements.unit;
  }

  /* An access code is checked when the first step is left (a POST: the code is never in a URL), so a wrong, used
     or another unit's code is said there, not after the last question. Nothing is spent by the check; offline, or
     if the server fails, the respondent goes on and the response is checked when sent. */
  function checkCode() {
    var body = new URLSearchParams();
    body.set('version', version);
    body.set('unit', form.elements.unit.value);
    body.set('code', form.elements.code.value.trim());
    next.disabled = true;
    status.textContent = 'Đang kiểm tra mã truy cập…';
    var go = function () { next.disabled = false; status.textContent = ''; return true; };
    return fetch(form.action.replace(/responses$/, 'code'), { method: 'POST', body: body, headers: { Accept: 'application/json' } }).then(function (r) {
      if (r.ok || r.status >= 500) return go();
      return r.json().catch(function () { return {}; }).then(function (json) {
        go();
        var e = (json.errors || [])[0];
        var onUnit = e && e.field === 'unit';
        refuseUnitStep(onUnit && /đơn vị khác/.test(json.detail || '') ? json.detail : e ? e.message : json.detail || 'Mã truy cập không đúng hoặc đã được dùng.', onUnit ? form.elements.unit : form.elements.code);
        return false;
      });
    }).catch(go);
  }

  function focusStep(s) {
    var target = s.querySelector('input:checked') || inputs(s)[0];
    if (target) target.focus();
  }

  function show(i, focus) {
    var seq = sequence();
    current = Math.max(0, Math.min(i, seq.length - 1));
    steps.forEach(function (s) { s.hidden = s !== seq[current]; });
    back.hidden = current === 0;
    restart.hidden = current === 0;
    var last = current === seq.length - 1;
    next.textContent = current === 0 ? 'Bắt đầu trả lời' : last ? 'Gửi phiếu khảo sát' : 'Tiếp theo';
    if (current > 0) {
      var total = seq.length - 1;
      progress.textContent = Math.round(current / total * 100) + '% Hoàn thành (' + current + '/' + total + ')';
      progress.hidden = false;
    } else {
      progress.hidden = true;
    }
    if (focus) focusStep(seq[current]);
    save();
  }

  function save() {
    var values = [];
    inputs(form).forEach(function (i) {
      if (!i.name || i.name === 'pow' || i.name === 'website' || i.name === 'version') return;
      if ((i.type === 'radio' || i.type === 'checkbox') && !i.checked) return;
      if (i.value) values.push([i.name, i.value]);
    });
    try { localStorage.setItem(saveKey, JSON.stringify({ values: values, step: current, key: key })); } catch (e) { /* full or denied */ }
  }

  function restore() {
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(saveKey) || 'null'); } catch (e) { saved = null; }
    key = (saved && saved.key) || newKey();
    if (!saved) return 0;
    saved.values.forEach(function (pair) {
      if (pair[0] === 'commune' && communesUrl) communeList.setAttribute('data-saved', pair[1]);
      inputs(form).forEach(function (i) {
        if (i.name !== pair[0]) return;
        if (i.type === 'radio' || i.type === 'checkbox') { if (i.value === pair[1]) i.checked = true; } else i.value = pair[1];
      });
    });
    return saved.step || 0;
  }

  /* The response: the unit, the code and only the answers on the path. */
  function payload() {
    var body = { version: version, unit: form.elements.unit.value, idempotency_key: key };
    if (communeList) body.commune = communeList.value;
    if (form.elements.code) body.code = form.elements.code.value.trim();
    path().forEach(function (q) {
      var a = answer(q);
      if (a === null) return;
      if (q.getAttribute('data-type') === 'matrix') Object.keys(a).forEach(function (k) { body[k] = a[k]; });
      else body[q.getAttribute('data-q')] = a;
    });
    return body;
  }

  function send(body) {
    var proof = window.cchcProof ? window.cchcProof(form.getAttribute('data-pow')).catch(function () { return ''; }) : Promise.resolve('');
    return proof.then(function (pow) {
      var copy = JSON.parse(JSON.stringify(body));
      if (pow) copy.pow = pow;
      return fetch(form.action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Idempotency-Key': body.idempotency_key },
        body: JSON.stringify(copy)
      });
    });
  }

  function queue() {
    try { return JSON.parse(localStorage.getItem(queueKey) || '[]'); } catch (e) { return []; }
  }

  function setQueue(items) {
    try { localStorage.setItem(queueKey, JSON.stringify(items)); } catch (e) { /* full or denied */ }
  }

  function done(message) {
    localStorage.removeItem(saveKey);
    var box = document.createElement('div');
    box.className = 'survey-done';
    box.setAttribute('tabindex', '-1');
    var h = document.createElement('h3');
    h.textContent = 'Cảm ơn Ông/Bà đã tham gia khảo sát';
    var p = document.createElement('p');
    p.textContent = message;
    box.appendChild(h);
    box.appendChild(p);
    form.parentNode.replaceChild(box, form);
    box.focus();
  }

  function submit() {
    var body = payload();
    next.disabled = true;
    status.textContent = 'Đang gửi phiếu…';
    send(body).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (response.ok) return done(json.message || 'Ý kiến đã được ghi nhận.');
        if (response.status >= 500) throw new Error('server');
        next.disabled = false;
        var errors = (json.errors || []).map(function (e) { return e.message; });
        var unitStep = (json.errors || []).filter(function (e) { return e.field === 'code' || e.field === 'unit' || e.field === 'commune'; })[0];
        if (response.status === 403 || unitStep) {
          /* A wrong or used code, or a unit the code was not made for: back to the step where it is entered. */
          status.textContent = '';
          var message = unitStep ? unitStep.message : (json.detail || 'Mã truy cập không đúng hoặc đã được dùng.');
          var field = unitStep && unitStep.field === 'commune' && communeList ? communeList : unitStep && unitStep.field === 'unit' ? form.elements.unit : form.elements.code || form.elements.unit;
          if (unitStep && /đơn vị khác/.test(json.detail || '')) message = json.detail;
          refuseUnitStep(message, field);
          return;
        }
        status.textContent = (json.detail || 'Chưa gửi được phiếu.') + (errors.length > 1 ? ' ' + errors.join(' ') : '');
      });
    }).catch(function () {
      var items = queue();
      items.push({ url: form.action, body: body });
      setQueue(items);
      done('Chưa có kết nối mạng: phiếu đã được lưu trên máy này và sẽ tự gửi khi có mạng trở lại (mở lại trang khảo sát nếu cần).');
    });
  }

  /* Sends what waited for the network; a refused response (4xx) cannot succeed later and is dropped. */
  function flush() {
    var items = queue();
    if (!items.length || navigator.onLine === false) return;
    var item = items[0];
    send(item.body).then(function (response) {
      if (response.status >= 500) return;
      setQueue(queue().slice(1));
      if (status) status.textContent = response.ok ? 'Một phiếu đã lưu khi mất mạng vừa được gửi.' : '';
      flush();
    }).catch(function () { /* still offline */ });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    var seq = sequence();
    var s = seq[current];
    var message = problem(s);
    if (s === first && message) { refuseUnitStep(message, unitField(message)); return; }
    if (s === first && window.cchcShowErrors) window.cchcShowErrors(form, []);
    setError(s, message);
    if (message) { focusStep(s); return; }
    if (s === first && form.elements.code) {
      if (next.disabled) return;
      checkCode().then(function (ok) { if (ok) show(1, true); });
      return;
    }
    if (current < seq.length - 1) show(current + 1, true); else submit();
  });
  /* An error goes as the answer is corrected ('input'), not on blur ('change' fires on the mousedown of the next
     click: the error line vanished, the button moved up from under the pointer and the click was lost). */
  form.addEventListener('input', function (event) {
    var s = event.target.closest('.survey-step');
    if (event.target === filter) { fillCommunes(); return; }
    if (s) setError(s, '');
  });
  form.addEventListener('change', function (event) {
    if (communesUrl && event.target === form.elements.unit) { filter.value = ''; loadCommunes(''); }
    save();
  });
  /* Enter goes on from any field but a paragraph (a select or a radio does not submit a form by itself). */
  form.addEventListener('keydown', function (event) {
    var t = event.target;
    if (event.key !== 'Enter' || t.tagName === 'TEXTAREA' || t.tagName === 'BUTTON') return;
    event.preventDefault();
    if (form.requestSubmit) form.requestSubmit(next); else next.click();
  });
  back.addEventListener('click', function () { show(current - 1, true); });
  restart.addEventListener('click', function () {
    form.reset();
    localStorage.removeItem(saveKey);
    key = newKey();
    steps.forEach(function (s) { setError(s, ''); });
    if (communesUrl) loadCommunes('');
    status.textContent = 'Đã xoá các câu trả lời; mời Ông/Bà trả lời lại từ đầu.';
    show(0, true);
  });
  window.addEventListener('online', flush);

  show(restore(), false);
  if (communesUrl) loadCommunes(communeList.getAttribute('data-saved') || '');
  flush();
})();
