#!/usr/bin/env python3
"""Search benchmark: what a reader's first query downloads and how long it takes to its first result, in headless
Chromium (tests/browser/bench-search.mjs --first), on generated sites of 1,000 and 10,000 pages
(../shared/bench/make-corpus.py, prepared as compare.sh does), 10,000 pages of real Markdown (real-10000:
tests/bench/real-corpus.py, or the script REAL_CORPUS names) and the repository's own site.

    python3 tests/bench/search.py [--sites 1000,10000,real-10000,repo] [--runs 5] [--before REV] [QUERY ...]

Each site is built with the release binary and served as static files (no compression: sizes are gzipped by the
script, level 6, as a CDN sends text; a byte range, which a CDN sends as it is, is counted as sent). Each query is opened as `/tim-kiem/?q=…` in a fresh browser context, RUNS
times; the table gives, before the first result is listed: requests, KB gzipped (all fetches, and the index's
share), ms from navigation; and ms until the whole first screen (20 results) is listed. Median and min-max.

CCHC_BIN names a binary to use instead of building this worktree's. With `--before REV` the same sites are also
built by REV (its generator built in a temporary worktree, or the binary BEFORE_BIN names; its theme from
`git archive REV themes`), and the results (counts and the first screen's
addresses, in order) must be equal: the one check that fails the script. Timings never do.
"""
import argparse, functools, http.server, io, json, os, pathlib, re, shutil, socketserver, statistics, subprocess, sys
import tempfile, threading

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = pathlib.Path(os.environ.get("SHARED", ROOT.parent / "shared"))
TARGET = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/cchc/target")))
WORK = pathlib.Path(os.environ.get("BENCH_DIR", "/tmp/cchc-bench-search"))
QUERIES = {
    "corpus": ["cải cách hành chính", "chu ky so", '"dịch vụ công trực tuyến"', "minh bạch", "hài lòng 2024"],
    "real": ["install", "error handling", '"pull request"', "license", "async runtime"],
    "repo": ["cải cách hành chính", "sipas", '"dịch vụ công trực tuyến"', "nghị quyết 76", "cai cach"],
}
SITE_YAML = (ROOT / "tests/bench/corpus-site.yaml").read_text(encoding="utf-8")


def run(*args, **kw):
    return subprocess.run(list(args), check=True, **kw)


def theme_of(rev):
    """The themes/ folder of REV (None: this worktree's)."""
    if rev is None:
        return ROOT / "themes"
    dest = WORK / f"themes-{rev}"
    if not dest.exists():
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", rev, "themes"], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "themes"


def binary_of(rev):
    """The release cchc of REV (None: this worktree's)."""
    if rev is None:
        if os.environ.get("CCHC_BIN"):
            return pathlib.Path(os.environ["CCHC_BIN"])
        run("cargo", "build", "--release", "--locked", "-q", "-p", "cchc-generator", cwd=ROOT)
        return TARGET / "release" / "cchc"
    if os.environ.get("BEFORE_BIN"):
        return pathlib.Path(os.environ["BEFORE_BIN"])
    tree = WORK / f"src-{rev}"
    if not tree.exists():
        run("git", "worktree", "add", "--detach", str(tree), rev, cwd=ROOT)
    run("cargo", "build", "--release", "--locked", "-q", "-p", "cchc-generator", cwd=tree)
    return TARGET / "release" / "cchc"


def site_dir(site, rev):
    """A site folder to build: a generated corpus (pages untouched) or the repository's own, with REV's theme."""
    dest = WORK / f"site-{site}-{rev or 'now'}"
    if site == "repo":
        shutil.rmtree(dest, ignore_errors=True)
        dest.mkdir(parents=True)
        shutil.copy(ROOT / "site.yaml", dest)
        shutil.copytree(ROOT / "content", dest / "content")
    else:
        corpus = WORK / f"corpus-{site}"
        if not (corpus / ".done").exists():
            shutil.rmtree(corpus, ignore_errors=True)
            make = SHARED / "bench" / "make-corpus.py"
            if site.startswith("real-"):
                make = pathlib.Path(os.environ.get("REAL_CORPUS", ROOT / "tests" / "bench" / "real-corpus.py"))
            run(sys.executable, str(make), str(corpus), "--pages", site.removeprefix("real-"),
                stdout=subprocess.DEVNULL, env=dict(os.environ, SHARED=str(SHARED)))
            (corpus / ".done").touch()
        if not dest.exists():
            shutil.copytree(corpus / "content", dest / "content")
        (dest / "site.yaml").write_text(SITE_YAML)
        (dest / "content" / "documents" / "_index.md").write_text("---\ntitle: Văn bản\npage_kind: document\n---\n")
        (dest / "content" / "tim-kiem.md").write_text("---\nsearch: false\ntitle: Tìm kiếm\ntemplate: search.html\n---\n")
    shutil.rmtree(dest / "themes", ignore_errors=True)
    shutil.copytree(theme_of(rev), dest / "themes")
    return dest


class Quiet(http.server.SimpleHTTPRequestHandler):
    """Static files, and one byte range of a file when asked (`Range: bytes=a-b`), as S3 and CloudFront answer."""

    def log_message(self, *args):
        pass

    def send_head(self):
        asked = re.fullmatch(r"bytes=(\d+)-(\d+)", self.headers.get("Range", ""))
        path = self.translate_path(self.path)
        if not asked or not os.path.isfile(path):
            return super().send_head()
        data = pathlib.Path(path).read_bytes()
        start, end = int(asked[1]), min(int(asked[2]), len(data) - 1)
        if start > end:
            self.send_error(416)
            return None
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(end + 1 - start))
        self.end_headers()
        return io.BytesIO(data[start:end + 1])


def measure(binary, site, rev, queries, runs):
    folder = site_dir(site, rev)
    out = folder / "public"
    run(str(binary), "build", "--root", str(folder), "--out", str(out), "--today", "2026-11-23",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    entry = (out / "search" / "index.json").read_bytes()
    handler = functools.partial(Quiet, directory=str(out))
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler) as server:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = dict(os.environ, CCHC_URL=f"http://127.0.0.1:{server.server_address[1]}/", RUNS=str(runs))
        done = subprocess.run(["node", "bench-search.mjs", "--first", *queries], cwd=ROOT / "tests" / "browser",
                              env=env, capture_output=True, text=True)
        server.shutdown()
    if done.returncode != 0:
        sys.exit(f"bench-search.mjs failed on {folder}:\n{done.stderr}")
    lines = done.stdout
    import gzip
    return len(gzip.compress(entry, 6)), [json.loads(line) for line in lines.splitlines() if line.startswith("{")]


def spread(values, unit=""):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    med = statistics.median(values)
    fmt = (lambda v: f"{v:.1f}") if unit == "KB" else (lambda v: f"{v:.0f}")
    return f"{fmt(med)} ({fmt(min(values))}-{fmt(max(values))})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sites", default="1000,10000,real-10000,repo")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before")
    parser.add_argument("queries", nargs="*")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if not (ROOT / "tests" / "browser" / "node_modules").exists():
        run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=ROOT / "tests" / "browser")
    versions = []
    if args.before:
        # Copied aside: building REV and this worktree share one target folder.
        before, kept = binary_of(args.before), WORK / f"cchc-{args.before}"
        if before.resolve() != kept.resolve():
            shutil.copy(before, kept)
        versions.append((args.before, kept))
    versions.append((None, binary_of(None)))
    print("site | version | query | results | before the first result: requests, KB gzipped (index KB) | "
          "ms to first result | ms to first screen (20)")
    print("--- | --- | --- | ---: | --- | --- | ---")
    failures = []
    for site in args.sites.split(","):
        kind = "repo" if site == "repo" else "real" if site.startswith("real-") else "corpus"
        queries = args.queries or QUERIES[kind]
        seen = {}
        for rev, binary in versions:
            name = rev or "this tree"
            entry_gz, rows = measure(binary, site, rev, queries, args.runs)
            print(f"{site} | {name} | (entry: {entry_gz / 1000:.1f} KB gzipped) | | | |")
            for query in queries:
                mine = [r for r in rows if r["query"] == query]
                before = [r["beforeFirst"] for r in mine]
                print(f"{site} | {name} | {query} | {mine[0]['results']} | "
                      f"{spread([b['requests'] for b in before])} req, "
                      f"{spread([b['gzip'] / 1000 for b in before], 'KB')} KB "
                      f"({spread([b['index'] / 1000 for b in before], 'KB')}) | "
                      f"{spread([r['firstMs'] for r in mine])} | {spread([r['allMs'] for r in mine])}")
                outcome = [(r["results"], r["paths"]) for r in mine]
                if any(o != outcome[0] for o in outcome):
                    failures.append(f"{site} {name} «{query}»: runs disagree")
                if query in seen and seen[query] != outcome[0]:
                    failures.append(f"{site} «{query}»: {seen[query][0]} results before, {outcome[0][0]} now, "
                                    f"first screen {'equal' if seen[query][1] == outcome[0][1] else 'different'}")
                seen[query] = outcome[0]
            sys.stdout.flush()
    if failures:
        sys.exit("results differ:\n" + "\n".join(failures))
    if args.before:
        print(f"results equal before and after on every site and query")


if __name__ == "__main__":
    main()
