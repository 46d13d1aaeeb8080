#!/usr/bin/env python3
"""Rebuild benchmark for `cchc serve`: the time from saving a file to the reload message the open browser tabs
get (the `build` event on the live-reload stream), on a corpus site (tests/bench/compare.sh makes them) or ours.

    python3 tests/bench/rebuild.py SITE_DIR [--runs 5] [--no-build]

Each run edits one page's body (a sentence appended, then removed), its title, a template used by list pages only
and the one every page uses. Prints median and min-max, the median of each stage the preview reports for that kind
of save (its `Đã dựng` line), and a clean `cchc build` of the same site in the same sitting (fresh output folder,
the previous one deleted untimed), which a save must never be slower than. A benchmark, not a test: it fails only
if no reload message comes.
"""
import argparse, http.client, os, pathlib, re, shutil, socket, statistics, subprocess, sys, tempfile, threading, time

ROOT = pathlib.Path(__file__).resolve().parents[2]
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/cchc/target"))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("site")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-build", action="store_true",
                        help="measure the release binary already in CARGO_TARGET_DIR instead of building it first")
    args = parser.parse_args()
    site = pathlib.Path(args.site).resolve()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "cchc-generator"], cwd=ROOT, check=True)
    port = free_port()
    log = open(site / ".serve.log", "w")
    server = subprocess.Popen([f"{TARGET}/release/cchc", "serve", "--root", str(site), "--port", str(port)],
                              stderr=log, stdout=log)
    try:
        for _ in range(600):
            if "Đang phục vụ" in (site / ".serve.log").read_text(errors="replace"):
                break
            time.sleep(0.1)
        else:
            sys.exit("cchc serve did not start")
        events = []
        arrived = threading.Condition()

        def listen():
            connection = http.client.HTTPConnection("127.0.0.1", port)
            connection.request("GET", "/__cchc/events")
            response = connection.getresponse()
            kind = None
            for raw in response:
                line = raw.decode().strip()
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind == "build":
                    with arrived:
                        events.append((time.perf_counter(), line))
                        arrived.notify_all()

        threading.Thread(target=listen, daemon=True).start()
        time.sleep(1.0)

        log_path = site / ".serve.log"
        stages = []

        def timed(path, change):
            original = path.read_text()
            results = []
            for text in (change(original), original):
                with arrived:
                    seen = len(events)
                    started = time.perf_counter()
                    path.write_text(text)
                    if not arrived.wait_for(lambda: len(events) > seen, timeout=120):
                        sys.exit(f"no reload message after editing {path}")
                    at, data = events[seen]
                    if '"ok":true' not in data.replace(" ", ""):
                        sys.exit(f"the rebuild failed: {data}")
                    results.append((at - started) * 1000)
                    builds = re.findall(r"Đã dựng: .*", log_path.read_text(errors="replace"))
                    if builds:
                        stages.append(builds[-1])
                time.sleep(0.5)
            return results

        pages = sorted((site / "content").rglob("*.md"))
        page = next(p for p in pages if p.name != "_index.md")
        templates = site / "themes/default/templates"
        rows = []
        for label, path, change in [
            ("page body", page, lambda t: t + "\nMột câu thêm vào để đo thời gian dựng lại.\n"),
            ("page title", page, lambda t: t.replace("title: ", "title: Sửa ", 1)),
            ("template section.html", templates / "section.html",
             lambda t: t.replace("{% endblock content %}", "<!-- đo -->{% endblock content %}", 1)),
            ("template page.html", templates / "page.html",
             lambda t: t.replace("</article>", "</article><!-- đo -->", 1)),
        ]:
            times = []
            stages.clear()
            for _ in range(args.runs):
                times += timed(path, change)
            rows.append(f"{label:<22} {statistics.median(times):8.0f} ms  ({min(times):.0f}-{max(times):.0f}, {len(times)} saves)")
            rows.append(f"{'':<22} {stage_medians(stages)}")
        pages_count = len(pages)
        print(f"{site.name}: {pages_count} Markdown files; file saved → reload message, median (min-max)")
        print("\n".join(rows))
    finally:
        server.terminate()
        server.wait()
    clean = []
    with tempfile.TemporaryDirectory(dir=site.parent) as scratch:
        for i in range(args.runs):
            out = pathlib.Path(scratch) / f"public-{i}"
            started = time.perf_counter()
            subprocess.run([f"{TARGET}/release/cchc", "build", "--root", str(site), "--out", str(out)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            clean.append((time.perf_counter() - started) * 1000)
            shutil.rmtree(out)
    print(f"{'clean cchc build':<22} {statistics.median(clean):8.0f} ms  ({min(clean):.0f}-{max(clean):.0f}, {len(clean)} builds)")


def stage_medians(lines):
    """The median of each stage over the preview's `Đã dựng` lines: `đọc 0 ms · phân tích 21 ms · …`."""
    per_stage = {}
    for line in lines:
        for name, ms in re.findall(r"([^(·]+?) (\d+) ms(?= ·|\))", line.rsplit("(", 1)[-1] + ")"):
            per_stage.setdefault(name.strip(), []).append(int(ms))
    return " · ".join(f"{name} {statistics.median(v):.0f}" for name, v in per_stage.items()) + " (ms, median per stage)"


if __name__ == "__main__":
    main()
