// A comment's page: the draft's text (the consultation page's own text, fetched from the site) beside the comment,
// with the paragraphs that name the part the comment addresses marked. Without a script, the link stays.
(function () {
  var box = document.querySelector('[data-draft]');
  if (!box || !window.fetch || !window.DOMParser) return;
  fetch(box.getAttribute('data-draft'))
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
    .then(function (html) {
      var prose = new DOMParser().parseFromString(html, 'text/html').querySelector('main .prose');
      if (!prose) return;
      var section = (box.getAttribute('data-section') || '').trim().toLowerCase();
      prose.querySelectorAll('script, form, iframe').forEach(function (n) { n.remove(); });
      prose.querySelectorAll('[id]').forEach(function (n) { n.removeAttribute('id'); });
      Array.prototype.forEach.call(prose.querySelectorAll('p, li, h2, h3, h4'), function (n) {
        if (section && n.textContent.toLowerCase().indexOf(section) >= 0) n.classList.add('named');
      });
      box.appendChild(document.adoptNode(prose));
      var first = box.querySelector('.named');
      if (first) first.scrollIntoView({ block: 'nearest' });
    })
    .catch(function () { /* the link to the draft stays */ });
})();

// Keyboard shortcuts in the moderation queue (an addition: every action is also a button or a link).
// j / k: next / previous comment; x: tick it; a: approve it; r: open its "do not publish" page.
(function () {
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-comment]'));
  if (!rows.length) return;
  var at = -1;
  function go(i) {
    if (at >= 0) rows[at].classList.remove('current');
    at = Math.max(0, Math.min(rows.length - 1, i));
    rows[at].classList.add('current');
    var box = rows[at].querySelector('input[type=checkbox]');
    (box || rows[at].querySelector('a, button')).focus();
  }
  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || '').toLowerCase();
    if (tag === 'textarea' || tag === 'select' || (tag === 'input' && e.target.type !== 'checkbox')) return;
    if (e.key === 'j') { go(at + 1); e.preventDefault(); }
    else if (e.key === 'k') { go(at - 1); e.preventDefault(); }
    else if (at >= 0 && e.key === 'x') { var b = rows[at].querySelector('input[type=checkbox]'); if (b && !b.disabled) b.checked = !b.checked; e.preventDefault(); }
    else if (at >= 0 && e.key === 'a') { var a = rows[at].querySelector('[data-key=a]'); if (a) a.click(); }
    else if (at >= 0 && e.key === 'r') { var r = rows[at].querySelector('[data-key=r]'); if (r) r.click(); }
  });
})();
