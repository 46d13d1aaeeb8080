// cchc serve's live reload: listens for build events; reloads the page when a newer build succeeded, and shows a
// failed build's errors over the page (which stays the previous version). Served at /__cchc/live-reload.js and
// added to every HTML page of the preview only.
(() => {
  const script = document.currentScript;
  const generation = Number(script && script.dataset.generation);
  const events = new EventSource(script.dataset.events);
  events.onopen = () => {
    document.documentElement.dataset.cchcLive = "1";
  };
  events.addEventListener("build", (event) => {
    const build = JSON.parse(event.data);
    let box = document.getElementById("cchc-build-errors");
    if (build.ok) {
      if (build.generation !== generation) location.reload();
      else if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement("pre");
      box.id = "cchc-build-errors";
      box.setAttribute("role", "alert");
      box.style.cssText =
        "position:fixed;left:0;right:0;bottom:0;max-height:60vh;overflow:auto;margin:0;padding:1rem;" +
        "background:#fff4f4;color:#8a0000;border-top:4px solid #8a0000;z-index:2147483647;" +
        "white-space:pre-wrap;font:14px/1.4 monospace";
      document.body.appendChild(box);
    }
    box.textContent = "Lỗi khi dựng trang (trang đang xem là bản trước):\n\n" + build.errors;
  });
})();
