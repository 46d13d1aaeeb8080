/* Progressive enhancement for the portal. Every page works without this file; it only adds: the colour-theme and
   font-size switches, the print button, list filters, the error-summary pattern on forms, and loading approved comments. */
(function () {
  'use strict';
  var root = document.documentElement;

  function store(key, value) {
    try { localStorage.setItem(key, value); } catch (e) { /* not remembered, still applied */ }
  }

  /* Colour theme and font size, remembered across pages. */
  function setupDisplayOptions() {
    var box = document.querySelector('.display-options');
    if (!box) return;
    box.hidden = false;
    function sync() {
      var theme = root.getAttribute('data-theme') || 'mac-dinh';
      var font = root.getAttribute('data-font') || 'thuong';
      box.querySelectorAll('[data-theme-choice]').forEach(function (b) {
        b.setAttribute('aria-pressed', String(b.getAttribute('data-theme-choice') === theme));
      });
      box.querySelectorAll('[data-font-choice]').forEach(function (b) {
        b.setAttribute('aria-pressed', String(b.getAttribute('data-font-choice') === font));
      });
    }
    box.addEventListener('click', function (event) {
      var button = event.target.closest('button');
      if (!button) return;
      var theme = button.getAttribute('data-theme-choice');
      var font = button.getAttribute('data-font-choice');
      if (theme) {
        if (theme === 'mac-dinh') root.removeAttribute('data-theme'); else root.setAttribute('data-theme', theme);
        store('cchc-theme', theme);
      }
      if (font) {
        if (font === 'thuong') root.removeAttribute('data-font'); else root.setAttribute('data-font', font);
        store('cchc-font', font);
      }
      sync();
    });
    sync();
  }

  /* Vietnamese text compared without diacritics, as the generator folds the search index (NFD, no combining
     marks, đ as d, lower case): "cai cach" finds "Cải cách". The one copy: search.js uses it too. */
  function fold(text) {
    return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
  }
  window.cchcFold = fold;

  function setupFilters() {
    document.querySelectorAll('[data-filter-for]').forEach(function (box) {
      var list = document.getElementById(box.getAttribute('data-filter-for'));
      var input = box.querySelector('input');
      var status = box.querySelector('.filter-status');
      if (!list || !input) return;
      box.hidden = false;
      var items = Array.prototype.slice.call(list.querySelectorAll('li'));
      var keys = items.map(function (li) { return fold(li.textContent); });
      input.addEventListener('input', function () {
        var query = fold(input.value.trim());
        var shown = 0;
        items.forEach(function (li, i) {
          var match = !query || keys[i].indexOf(query) !== -1;
          li.hidden = !match;
          if (match) shown += 1;
        });
        if (status) status.textContent = query ? (shown ? 'Có ' + shown + ' kết quả.' : 'Không có kết quả phù hợp.') : '';
      });
    });
  }

  /* The document filter: straight to the combination's own page (`<action><issuer>/<type>/<year>/`). Without
     this, the GET form's query is turned into that path by the CDN (or `cchc serve`): the same page either way. */
  function setupDocumentFilter() {
    document.querySelectorAll('form[data-filter-path]').forEach(function (form) {
      form.addEventListener('submit', function (event) {
        var any = form.getAttribute('data-filter-path');
        var parts = Array.prototype.map.call(form.querySelectorAll('select'), function (s) { return s.value || any; });
        event.preventDefault();
        window.location.assign(form.getAttribute('action') + parts.join('/') + '/');
      });
    });
  }

  /* Forms: the error-summary pattern (summary at the top, focus moved to it, each error linked to its field,
     page title prefixed "Lỗi: "), an idempotency key per submission. */
  var originalTitle = document.title;

  /* A UUID version 7 (RFC 9562): the time in milliseconds first, then random bits. Keys that sort by time keep the
     server's key index appending at its end (a random key writes a random page of it: 3-5 times the API's tail). */
  function newKey() {
    var bytes = new Uint8Array(16), i, hex = '';
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(bytes);
    else for (i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    for (var t = Date.now(), j = 5; j >= 0; j--, t = Math.floor(t / 256)) bytes[j] = t % 256;
    bytes[6] = (bytes[6] & 0x0f) | 0x70;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    for (i = 0; i < 16; i++) hex += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-');
  }

  function labelOf(field) {
    if (field.getAttribute('data-label')) return field.getAttribute('data-label');
    var label = field.labels && field.labels[0];
    return label ? label.textContent.replace(/\(.*\)/, '').trim() : field.name;
  }

  function validate(form) {
    var errors = [];
    var fields = form.querySelectorAll('input, textarea, select');
    fields.forEach(function (field) {
      if (field.type === 'hidden' || field.closest('.honeypot')) return;
      var value = field.type === 'file' ? '' : field.value.trim();
      var label = labelOf(field);
      var message = null;
      if (field.required && !value) message = 'Nhập ' + label.charAt(0).toLowerCase() + label.slice(1);
      else if (value && field.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) message = 'Thư điện tử chưa đúng dạng, ví dụ: ten@vidu.vn';
      else if (value && field.minLength > 0 && value.length < field.minLength) message = label + ' cần ít nhất ' + field.minLength + ' ký tự';
      else if (value && field.maxLength > 0 && value.length > field.maxLength) message = label + ' không được dài quá ' + field.maxLength + ' ký tự';
      else if (value && field.pattern && !new RegExp('^(?:' + field.pattern + ')$').test(value)) message = label + ' chưa đúng dạng';
      else if (field.type === 'file' && field.files && field.files[0] && field.getAttribute('data-max-bytes') && field.files[0].size > Number(field.getAttribute('data-max-bytes'))) message = 'Tệp đính kèm không được lớn hơn 5 MB';
      if (message) errors.push({ field: field, message: message });
    });
    var one = form.getAttribute('data-require-one');
    if (one) {
      var names = one.split(' ');
      var given = names.some(function (name) { return form.elements[name] && form.elements[name].value.trim(); });
      var already = errors.some(function (e) { return names.indexOf(e.field.name) !== -1; });
      if (!given && !already) errors.push({ field: form.elements[names[0]], message: 'Nhập thư điện tử hoặc số điện thoại để nhận trả lời' });
    }
    return errors;
  }

  function showErrors(form, errors) {
    var main = document.getElementById('noi-dung');
    var old = document.querySelector('.error-summary');
    if (old) old.remove();
    form.querySelectorAll('[aria-invalid]').forEach(function (f) { f.removeAttribute('aria-invalid'); });
    form.querySelectorAll('.field-error').forEach(function (p) { p.hidden = true; p.textContent = ''; });
    if (!errors.length) { document.title = originalTitle; return; }
    var summary = document.createElement('div');
    summary.className = 'error-summary';
    summary.setAttribute('role', 'alert');
    summary.setAttribute('tabindex', '-1');
    summary.setAttribute('aria-labelledby', 'tieu-de-loi');
    var heading = document.createElement('h2');
    heading.id = 'tieu-de-loi';
    heading.textContent = 'Có ' + errors.length + ' lỗi cần sửa';
    var list = document.createElement('ul');
    errors.forEach(function (error) {
      var item = document.createElement('li');
      var link = document.createElement('a');
      link.href = '#' + error.field.id;
      link.textContent = error.message;
      link.addEventListener('click', function (event) {
        event.preventDefault();
        error.field.focus();
        (error.field.labels && error.field.labels[0] || error.field).scrollIntoView();
      });
      item.appendChild(link);
      list.appendChild(item);
      error.field.setAttribute('aria-invalid', 'true');
      var inline = document.getElementById(error.field.id + '-loi');
      if (inline) { inline.hidden = false; inline.textContent = 'Lỗi: ' + error.message; }
    });
    summary.appendChild(heading);
    summary.appendChild(list);
    main.insertBefore(summary, main.firstChild);
    document.title = 'Lỗi: ' + originalTitle;
    summary.focus();
  }

  /* Proof of work: find a nonce whose SHA-256 with the server's salt starts with enough zero bits. Costs the
     sender a second or two and a spam bot far more; no third party involved. */
  function zeroBits(bytes) {
    var bits = 0;
    for (var i = 0; i < bytes.length; i++) {
      if (bytes[i] === 0) { bits += 8; continue; }
      return bits + Math.clz32(bytes[i]) - 24;
    }
    return bits;
  }

  function solve(challenge) {
    var encoder = new TextEncoder();
    function attempt(nonce) {
      return crypto.subtle.digest('SHA-256', encoder.encode(challenge.salt + nonce)).then(function (hash) {
        if (zeroBits(new Uint8Array(hash)) >= challenge.difficulty) return challenge.salt + ':' + nonce + ':' + challenge.signature;
        return attempt(nonce + 1);
      });
    }
    return attempt(0);
  }

  /* For other scripts (surveys): a fresh idempotency key, and a proof for the challenge at `url`. */
  window.cchcNewKey = newKey;
  window.cchcShowErrors = showErrors; /* survey.js: the same summary for a refused unit step */
  window.cchcProof = function (url) {
    return fetch(url, { headers: { Accept: 'application/json' } })
      .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
      .then(solve);
  };

  function setupForms() {
    document.querySelectorAll('form[data-enhance]').forEach(function (form) {
      form.noValidate = true;
      var key = form.querySelector('input[name="idempotency_key"]');
      if (key) key.value = newKey();
      form.addEventListener('submit', function (event) {
        var errors = validate(form);
        showErrors(form, errors);
        if (errors.length) { event.preventDefault(); return; }
        var pow = form.querySelector('input[name="pow"]');
        var url = form.getAttribute('data-pow');
        if (!pow || !url || pow.value || !window.fetch || !(window.crypto && crypto.subtle)) return;
        event.preventDefault();
        var button = form.querySelector('button[type="submit"]');
        if (button) { button.disabled = true; button.textContent = 'Đang gửi…'; }
        fetch(url, { headers: { Accept: 'application/json' } })
          .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
          .then(solve)
          .then(function (proof) { pow.value = proof; })
          .catch(function () { /* the server takes plain form posts too, under a stricter limit */ })
          .then(function () { form.submit(); });
      });
    });
  }

  /* A static page may be older than the consultation window: judge it on today's date. */
  function setupConsultations() {
    var box = document.querySelector('[data-consultation]');
    if (!box) return;
    var today = new Date();
    var day = today.getFullYear() + '-' + String(today.getMonth() + 1).padStart(2, '0') + '-' + String(today.getDate()).padStart(2, '0');
    if (day > box.getAttribute('data-closes')) {
      document.querySelectorAll('[data-when-open]').forEach(function (el) { el.hidden = true; });
      document.querySelectorAll('[data-when-closed]').forEach(function (el) { el.hidden = false; });
      var state = box.querySelector('[data-state]');
      if (state) state.textContent = 'Đã kết thúc lấy ý kiến';
    }
  }

  function setupComments() {
    document.querySelectorAll('[data-comments]').forEach(function (box) {
      if (!window.fetch) return;
      fetch(box.getAttribute('data-comments'), { headers: { Accept: 'application/json' } })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
        .then(function (body) {
          var comments = body.comments || [];
          box.textContent = '';
          if (!comments.length) {
            var none = document.createElement('p');
            none.textContent = 'Chưa có góp ý nào được đăng.';
            box.appendChild(none);
            return;
          }
          var list = document.createElement('ol');
          list.className = 'comment-list';
          comments.forEach(function (c) {
            var item = document.createElement('li');
            var meta = document.createElement('p');
            meta.className = 'item-meta';
            meta.textContent = [c.name || 'Người góp ý', c.organisation, c.section, c.created_at_display].filter(Boolean).join(' · ');
            var text = document.createElement('p');
            text.className = 'comment-text';
            text.textContent = c.text;
            item.appendChild(meta);
            item.appendChild(text);
            list.appendChild(item);
          });
          box.appendChild(list);
        })
        .catch(function () { /* keep the link to the plain list */ });
    });
  }

  /* Published answers on the Q&A page: the question as text, the answer as the HTML the API made from its
     Markdown (raw HTML escaped there). Without a script, the link to the plain list stays. */
  function setupAnswers() {
    document.querySelectorAll('[data-answers]').forEach(function (box) {
      if (!window.fetch) return;
      fetch(box.getAttribute('data-answers'), { headers: { Accept: 'application/json' } })
        .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
        .then(function (body) {
          var answers = body.questions || [];
          box.textContent = '';
          if (!answers.length) {
            var none = document.createElement('p');
            none.textContent = 'Chưa có câu trả lời nào được công bố.';
            box.appendChild(none);
            return;
          }
          var list = document.createElement('ol');
          list.className = 'answer-list';
          answers.forEach(function (a) {
            var item = document.createElement('li');
            item.id = 'hoi-' + a.id;
            var question = document.createElement('h3');
            question.className = 'item-title';
            question.textContent = a.question;
            var meta = document.createElement('p');
            meta.className = 'item-meta';
            meta.textContent = 'Trả lời ngày ' + a.answered_at_display;
            var answer = document.createElement('div');
            answer.className = 'prose';
            answer.innerHTML = a.answer_html;
            item.appendChild(question);
            item.appendChild(meta);
            item.appendChild(answer);
            list.appendChild(item);
          });
          box.appendChild(list);
          if (location.hash && document.getElementById(location.hash.slice(1))) document.getElementById(location.hash.slice(1)).scrollIntoView();
        })
        .catch(function () { /* keep the link to the plain list */ });
    });
  }

  /* A closed consultation's outcome report, once published: the counts, then each part of the draft with its
     comments and the agency's response (all as text). Not yet published (404): the section says so. */
  function setupOutcome() {
    document.querySelectorAll('[data-outcome]').forEach(function (section) {
      if (!window.fetch) return;
      var box = section.querySelector('[aria-live]');
      fetch(section.getAttribute('data-outcome'), { headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (response.status === 404) { box.textContent = 'Báo cáo tiếp thu, giải trình chưa được công bố.'; return null; }
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (body) {
          if (!body) return;
          box.textContent = '';
          var lead = document.createElement('p');
          var strong = document.createElement('strong');
          strong.textContent = body.summary;
          lead.appendChild(strong);
          lead.appendChild(document.createTextNode(' (công bố ' + body.published_at_display + ')'));
          box.appendChild(lead);
          body.report.groups.forEach(function (group) {
            var heading = document.createElement('h3');
            heading.textContent = group.section;
            var list = document.createElement('ol');
            list.className = 'comment-list';
            group.entries.forEach(function (e) {
              var item = document.createElement('li');
              var meta = document.createElement('p');
              meta.className = 'item-meta';
              meta.textContent = e.author + ' · ' + e.created;
              var text = document.createElement('p');
              text.className = 'comment-text';
              text.textContent = e.text;
              var answer = document.createElement('p');
              var kind = document.createElement('strong');
              kind.textContent = e.uptake_label;
              answer.appendChild(kind);
              if (e.response) answer.appendChild(document.createTextNode(': ' + e.response));
              item.appendChild(meta);
              item.appendChild(text);
              item.appendChild(answer);
              list.appendChild(item);
            });
            box.appendChild(heading);
            box.appendChild(list);
          });
        })
        .catch(function () { /* keep the link to the plain report */ });
    });
  }

  /* The print button: printing is the only page tool that needs a script, so it shows only with one. */
  function setupPrint() {
    document.querySelectorAll('[data-print]').forEach(function (button) {
      button.closest('.print-tool').hidden = false;
      button.addEventListener('click', function () { window.print(); });
    });
  }

  setupDisplayOptions();
  setupPrint();
  setupFilters();
  setupDocumentFilter();
  setupForms();
  setupConsultations();
  setupComments();
  setupAnswers();
  setupOutcome();
})();
