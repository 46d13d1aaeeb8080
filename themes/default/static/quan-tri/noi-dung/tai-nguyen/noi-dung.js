// The content editor's own rules, on top of Decap CMS (loaded after this file; started here once the rules are
// registered): the preview in
// the site's stylesheet, and the checks the build makes that a form field alone cannot (an image and its
// description go together; a consultation closes after it opens). The build and `cchc serve` check again.
window.CMS_MANUAL_INIT = true;
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var CMS = window.CMS;
  if (!CMS) return;
  function text(data, key) {
    var value = data.get(key);
    return value == null ? "" : String(value).trim();
  }
  CMS.registerEventListener({
    name: "preSave",
    handler: function (event) {
      var data = event.entry.get("data");
      if (text(data, "image") && !text(data, "image_alt")) {
        throw new Error("Ảnh đại diện cần “Mô tả ảnh” cho người không xem được ảnh.");
      }
      var opens = text(data, "opens");
      var closes = text(data, "closes");
      if (opens && closes && closes < opens) {
        throw new Error("Ngày kết thúc lấy ý kiến phải sau ngày bắt đầu.");
      }
      return data;
    },
  });
  // The preview pane draws an entry as the theme's page.html draws a page (same elements and classes, so the
  // site's stylesheet applies): title, summary, lead image, text.
  var h = window.h;
  var PagePreview = window.createClass({
    render: function () {
      var data = this.props.entry.get("data");
      var image = text(data, "image");
      var summary = text(data, "summary");
      return h("main", { id: "noi-dung", className: "wrap" },
        h("article", { className: "article" },
          h("header", {},
            h("h1", {}, text(data, "title")),
            summary ? h("p", { className: "lead" }, summary) : null),
          image ? h("figure", { className: "lead-image" },
            h("img", { src: this.props.getAsset(image).toString(), alt: text(data, "image_alt") })) : null,
          h("div", { className: "prose" }, this.props.widgetFor("body"))));
    },
  });
  // "Xem trên trang": the open entry's page on this server (cchc serve's live preview, rebuilt on every save;
  // on the public site, the published page). Collections are named after their section's folder.
  var view = document.createElement("a");
  view.className = "xem-tren-trang";
  view.textContent = "Xem trên trang";
  view.target = "_blank";
  view.rel = "noopener";
  view.hidden = true;
  view.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:400;padding:.5rem 1rem;background:#a50e0e;" +
    "color:#fff;border-radius:4px;font:600 14px/1.4 sans-serif;text-decoration:underline";
  document.body.appendChild(view);
  function follow() {
    var m = /^#\/collections\/([^/]+)\/entries\/(.+?)(?:\/index)?$/.exec(location.hash);
    view.hidden = !m;
    if (m) view.href = "/" + m[1].split("--").join("/") + "/" + m[2] + "/";
  }
  window.addEventListener("hashchange", follow);
  follow();
  fetch("/quan-tri/noi-dung/tai-nguyen/giao-dien.json")
    .then(function (r) { return r.ok ? r.json() : {}; })
    .catch(function () { return {}; })
    .then(function (look) {
      if (look.stylesheet) CMS.registerPreviewStyle(look.stylesheet);
      (look.collections || []).forEach(function (name) { CMS.registerPreviewTemplate(name, PagePreview); });
      CMS.init();
    });
});
