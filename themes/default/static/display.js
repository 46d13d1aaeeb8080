/* Applies the reader's saved colour theme and font size before the page is painted (no flash of the default). */
(function () {
  var root = document.documentElement;
  root.className += ' js';
  try {
    var theme = localStorage.getItem('cchc-theme');
    var font = localStorage.getItem('cchc-font');
    if (theme === 'vang' || theme === 'xanh') root.setAttribute('data-theme', theme);
    if (font === 'lon') root.setAttribute('data-font', 'lon');
  } catch (e) { /* storage disabled: defaults apply */ }
})();
