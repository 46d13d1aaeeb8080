/* Results pages: the build's snapshot, refreshed from the results endpoint when online, per unit on request. */
(function () {
  'use strict';
  var box = document.querySelector('[data-results]');
  if (!box || !window.fetch) return;
  var form = box.querySelector('.results-filter');
  var total = box.querySelector('[data-total]');

  function render(results) {
    total.textContent = String(results.responses);
    [].forEach.call(box.querySelectorAll('[data-q][data-key]'), function (el) {
      var counts = results.questions[el.getAttribute('data-q')] || {};
      var n = counts[el.getAttribute('data-key')] || 0;
      var count = el.querySelector('[data-count]') || (el.hasAttribute('data-count') ? el : null);
      if (count) count.textContent = String(n);
      var share = el.querySelector('[data-share]');
      var value = results.responses ? Math.round(n * 1000 / results.responses) / 10 : 0;
      if (share) share.textContent = String(value);
      var meter = el.querySelector('meter');
      if (meter) meter.value = value;
    });
  }

  function load() {
    var unit = form.elements.unit.value;
    var url = form.action + (unit ? '?unit=' + encodeURIComponent(unit) : '');
    return fetch(url, { headers: { Accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(render)
      .catch(function () { /* keep the snapshot */ });
  }

  form.addEventListener('submit', function (event) { event.preventDefault(); load(); });
  form.elements.unit.addEventListener('change', load);
  load();
})();
