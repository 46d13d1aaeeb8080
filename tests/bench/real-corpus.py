#!/usr/bin/env python3
"""Real Markdown nobody here wrote, as a benchmark corpus: every `.md` file already on the machine after `tests/run`
(the crates' READMEs and changelogs in ~/.cargo/registry/src, the npm packages' docs under tests/browser/node_modules
and /usr/lib/node_modules, Debian's /usr/share/doc, the Rust toolchain's), deduplicated by content, with front matter
added, repeated to --pages if there are fewer. Odd Markdown, raw HTML, tables, code in many languages, CJK and
other scripts: what the synthetic corpus does not have.

    real-corpus.py OUT --pages N [--format hugo|zola]

Writes OUT/content/ in the shared corpus's layout (../shared/bench/make-corpus.py: the sections news, documents,
reports and models, so the peers' skeletons build it unchanged): crates under news, npm packages under reports, the
rest under models; documents stays empty (its pages need fields a README has not). Existing front matter is
dropped; links to a package's own files and headings (which are not in the corpus, or are anchored by GitHub's
rules) become absolute addresses. Shortcode openers (`{{<`, `{{%` for Hugo; every `{{` and `{%` for Zola, whose Markdown is a template) are
spaced apart in every tool's copy alike, so the peers do not fail on text that is only text.
"""
import argparse
import hashlib
import importlib.util
import os
import re
from pathlib import Path

HOME = Path.home()
REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SHARED", REPO.parent / "shared"))
SOURCES = [
    ("news", "rust", HOME / ".cargo/registry/src"),
    ("reports", "npm", REPO / "tests/browser/node_modules"),
    ("reports", "npm", Path("/usr/lib/node_modules")),
    ("models", "debian", Path("/usr/share/doc")),
    ("models", "rust", HOME / ".rustup/toolchains"),
]
SECTION_TITLES = {"news": "Tin tức", "documents": "Văn bản", "reports": "Báo cáo", "models": "Mô hình"}
MAX_BYTES = 512 * 1024


def shared_front_matter():
    """The shared corpus's front-matter writer, so both corpora quote titles the same way."""
    spec = importlib.util.spec_from_file_location("make_corpus", SHARED / "bench/make-corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.front_matter


def found():
    """(section, tag, path, text) for every distinct readable Markdown file, in a stable order."""
    seen = set()
    for section, tag, root in SOURCES:
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*.md")):
            try:
                if not path.is_file() or path.stat().st_size > MAX_BYTES:
                    continue
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            digest = hashlib.sha256(text.encode()).digest()
            if digest in seen or not text.strip():
                continue
            seen.add(digest)
            yield section, tag, path, text


def without_front_matter(text):
    for fence in ("---", "+++"):
        if text.startswith(fence + "\n"):
            end = text.find("\n" + fence, len(fence))
            if end != -1:
                return text[end + len(fence) + 1:].lstrip("\n")
    return text


LOCAL_LINK = re.compile(
    r"(\]\([ \t]*<?|\b(?:href|src)\s*=\s*[\"']|^ {0,3}\[[^\]]+\]:[ \t]*<?)(?!(?:https?|mailto|ftp|tel|data|irc):|//)",
    re.I | re.M,
)


def absolute_links(text, source):
    """Links between a package's own files point nowhere in the corpus: they go to an absolute address of the
    package instead (as on a registry's page), and so do its images and its links to its own headings (their
    anchors follow GitHub's rules, not every tool's), so no tool reports them broken."""
    return LOCAL_LINK.sub(lambda m: m.group(1) + f"https://example.org/{source}/", text)


def title_of(text, path):
    for line in text.splitlines():
        m = re.match(r"#{1,3}\s+(.+)", line)
        if m:
            title = re.sub(r"[`*_\[\]<>!]|\(http[^)]*\)", "", m.group(1)).strip()
            if title:
                return title[:150]
    return f"{path.parent.name} {path.stem}"


def summary_of(text):
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "<", "[", "!", "|", "`", "-", "*", "+", ">", "=")) \
                and not re.match(r"\d+[.)](\s|$)", line):
            # Links and images keep their text; until none is left, for badges (`[![alt](image)](link)`).
            while (unlinked := re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", line)) != line:
                line = unlinked
            line = re.sub(r"<[^>]*>", "", line)
            return re.sub(r"[`*_<>]", "", line)[:160].strip()
    return ""


def clean(s):
    return "".join(c for c in s if c.isprintable())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--pages", type=int, required=True)
    ap.add_argument("--format", choices=["hugo", "zola"], default="hugo")
    a = ap.parse_args()
    front_matter = shared_front_matter()
    files = list(found())
    if not files:
        raise SystemExit("no Markdown found: run tests/run first (it fills the cargo registry and node_modules)")
    content = Path(a.out) / "content"
    for name, title in SECTION_TITLES.items():
        (content / name).mkdir(parents=True, exist_ok=True)
        meta = {"title": title}
        if a.format == "zola":
            meta["paginate_by"] = 20
        (content / name / "_index.md").write_text(front_matter(a.format, meta) + "\n", encoding="utf-8")
    for i in range(a.pages):
        section, tag, path, text = files[i % len(files)]
        copy = i // len(files)
        body = absolute_links(without_front_matter(text), path.parent.name)
        if a.format == "zola":
            body = body.replace("{{", "{ {").replace("{%", "{ %")
        else:
            body = body.replace("{{<", "{ {<").replace("{{%", "{ {%")
        title = clean(title_of(body, path)) + (f" ({copy + 1})" if copy else "")
        day = i % (28 * 12 * 8)
        meta = {
            "title": title,
            "date": f"{2019 + day // 336:04d}-{day // 28 % 12 + 1:02d}-{day % 28 + 1:02d}",
            "summary": clean(summary_of(body)) or title,
            "tags": [tag, path.parent.name[:40] or tag],
        }
        page = content / section / f"{section}-{i + 1:05d}.md"
        page.write_text(front_matter(a.format, meta) + "\n\n" + body + "\n", encoding="utf-8")
    print(f"{a.pages} pages from {len(files)} distinct files", flush=True)


if __name__ == "__main__":
    main()
