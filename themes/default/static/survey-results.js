/* Results pages: the filter loads the chosen unit's (or commune's) results in place, from the page the same form
   asks for without JavaScript (its results section alone, `phan=1`); on load, the build's snapshot is refreshed
   the same way. Any failure keeps what is shown, and the button still submits the plain form. */
(function () {
  'use strict';
  var box = document.querySelector('[data-results]');
  if (!box || !window.fetch || !window.URLSearchParams || !window.DOMParser) return;

  function load(focus) {
    var form = box.querySelector('.results-filter');
    if (!form) return;
    var params = new URLSearchParams(new FormData(form));
    params.set('phan', '1');
    fetch(form.action + '?' + params.toString(), { headers: { Accept: 'text/html' } })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.text(); })
      .then(function (html) {
        var next = new DOMParser().parseFromString(html, 'text/html').querySelector('[data-results]');
        if (!next) return;
        box.parentNode.replaceChild(next, box);
        box = next;
        bind();
        var control = focus && document.getElementById(focus);
        if (control) control.focus();
      })
      .catch(function () { /* keep the snapshot */ });
  }

  function bind() {
    var form = box.querySelector('.results-filter');
    if (!form) return;
    form.addEventListener('submit', function (event) { event.preventDefault(); load('loc-don-vi'); });
    form.elements.unit.addEventListener('change', function () {
      if (form.elements.commune) form.elements.commune.value = '';
      load('loc-don-vi');
    });
    if (form.elements.commune) form.elements.commune.addEventListener('change', function () { load('loc-xa'); });
  }

  bind();
  load();
})();
