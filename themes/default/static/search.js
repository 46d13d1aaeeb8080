/* Site search on /tim-kiem/: Pagefind's index, built with the site, queried in the browser as the reader types.
   Only the index chunks a query needs are downloaded. Without JavaScript the page offers the category lists. */
(function () {
  'use strict';
  var form = document.getElementById('tim-kiem');
  var input = document.getElementById('tu-khoa-tim');
  var status = document.getElementById('trang-thai-tim');
  var list = document.getElementById('ket-qua-tim-kiem');
  var filterBox = document.getElementById('bo-loc-tim');
  if (!form || !input || !status || !list) return;
  var selects = Array.prototype.slice.call(form.querySelectorAll('select[data-filter]'));
  var note = document.getElementById('can-javascript');
  if (note) note.hidden = true;
  var PAGE_SIZE = 20;
  var pagefind = null;
  var latest = 0;

  /* The index spells đ as d + U+0335 so that diacritic folding reaches it (see generator/src/search.rs). */
  function queryText(text) {
    return text.normalize('NFC').replace(/đ/g, 'd').replace(/Đ/g, 'D');
  }
  function shown(text) {
    return text.replace(/d\u0335/g, 'đ').replace(/D\u0335/g, 'Đ');
  }

  /* Pagefind's excerpt is HTML with <mark>; only its text and the marks are kept. */
  function excerptNode(html) {
    var parsed = new DOMParser().parseFromString('<p>' + html + '</p>', 'text/html').body.firstChild;
    var p = document.createElement('p');
    p.className = 'search-excerpt';
    Array.prototype.forEach.call(parsed ? parsed.childNodes : [], function (node) {
      var text = shown(node.textContent || '');
      if (node.nodeName === 'MARK') {
        var mark = document.createElement('mark');
        mark.textContent = text;
        p.appendChild(mark);
      } else {
        p.appendChild(document.createTextNode(text));
      }
    });
    return p;
  }

  function resultItem(data) {
    var li = document.createElement('li');
    var h2 = document.createElement('h2');
    var a = document.createElement('a');
    a.href = data.url;
    a.textContent = shown(data.meta.title || data.url);
    h2.appendChild(a);
    li.appendChild(h2);
    var about = [data.meta.muc, data.meta.ngay].filter(Boolean).join(' · ');
    if (about) {
      var meta = document.createElement('p');
      meta.className = 'meta';
      meta.textContent = about;
      li.appendChild(meta);
    }
    li.appendChild(excerptNode(data.excerpt || ''));
    return li;
  }

  function chosenFilters() {
    var filters = {};
    selects.forEach(function (select) {
      if (select.value) filters[select.getAttribute('data-filter')] = select.value;
    });
    return filters;
  }

  function syncUrl(query) {
    var params = new URLSearchParams();
    if (query) params.set('q', query);
    selects.forEach(function (select) {
      if (select.value) params.set(select.name, select.value);
    });
    var search = params.toString();
    history.replaceState(null, '', location.pathname + (search ? '?' + search : ''));
  }

  function fillFilters(available, wanted) {
    selects.forEach(function (select) {
      var values = Object.keys(available[select.getAttribute('data-filter')] || {});
      values.sort(function (a, b) { return select.name === 'nam' ? b.localeCompare(a) : a.localeCompare(b, 'vi'); });
      values.forEach(function (value) {
        var option = document.createElement('option');
        option.value = value;
        option.textContent = value;
        select.appendChild(option);
      });
      var want = wanted.get(select.name);
      if (want && values.indexOf(want) !== -1) select.value = want;
      select.closest('div').hidden = values.length === 0;
    });
    if (filterBox) filterBox.hidden = false;
  }

  /* Announced once the results are on the page, so a screen reader hears the count of what it can read. */
  function announce(total, query) {
    var words = query ? '«' + query + '»' : 'bộ lọc đã chọn';
    status.textContent = total
      ? 'Có ' + total + ' kết quả cho ' + words + '.'
      : 'Không tìm thấy kết quả nào cho ' + words + '. Hãy thử từ khóa khác hoặc bỏ bớt bộ lọc.';
    list.hidden = total === 0;
  }

  function run() {
    var query = input.value.trim();
    var filters = chosenFilters();
    var ticket = ++latest;
    syncUrl(query);
    if (!query && Object.keys(filters).length === 0) {
      status.textContent = '';
      list.hidden = true;
      list.textContent = '';
      return;
    }
    pagefind.search(query ? queryText(query) : null, { filters: filters }).then(function (search) {
      if (ticket !== latest || !search) return;
      showFrom(search, 0, ticket, function () { announce(search.results.length, query); });
    });
  }

  /* Loads and lists PAGE_SIZE results from `from` on (the first batch replaces the list), then offers the next. */
  function showFrom(search, from, ticket, shown) {
    var batch = search.results.slice(from, from + PAGE_SIZE);
    Promise.all(batch.map(function (r) { return r.data(); })).then(function (items) {
      if (ticket !== latest) return;
      if (from === 0) list.textContent = '';
      items.forEach(function (data) { list.appendChild(resultItem(data)); });
      if (search.results.length > from + items.length) addMore(search, from + items.length, ticket);
      shown();
    });
  }

  function addMore(search, from, ticket) {
    var li = document.createElement('li');
    li.className = 'search-more';
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'button secondary';
    button.textContent = 'Xem thêm kết quả';
    li.appendChild(button);
    list.appendChild(li);
    button.addEventListener('click', function () {
      li.remove();
      showFrom(search, from, ticket, function () {
        // Focus moves to the first new result, so a keyboard user continues where the list grew.
        var first = list.children[from] && list.children[from].querySelector('a');
        if (first) first.focus();
      });
    });
  }

  var timer = null;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(run, 150);
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearTimeout(timer);
    run();
  });

  var wanted = new URLSearchParams(location.search);
  input.value = wanted.get('q') || '';
  status.textContent = 'Đang tải chỉ mục tìm kiếm…';
  import('/pagefind/pagefind.js').then(function (module) {
    pagefind = module;
    return pagefind.options({ excerptLength: 24 }).then(function () { return pagefind.filters(); });
  }).then(function (available) {
    fillFilters(available, wanted);
    status.textContent = '';
    input.addEventListener('input', schedule);
    selects.forEach(function (select) { select.addEventListener('change', run); });
    run();
  }).catch(function () {
    status.textContent = 'Không tải được chỉ mục tìm kiếm. Bạn vẫn có thể tra cứu theo danh mục bên dưới.';
    if (note) note.hidden = false;
  });
})();
