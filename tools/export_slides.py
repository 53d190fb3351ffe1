"""Export every lecture as reveal.js slides that work offline: `make slides` -> build/slides/.

Usage: python tools/export_slides.py [--out build/slides] [--jobs 2] [NOTEBOOK ...]

Each notebook is executed (nbclient, cwd = its folder) with the widgets' state saved in its metadata, so
a LiveFigure's default picture shows without a kernel: the slides embed the widget state and the
@jupyter-widgets/html-manager renders it (the sliders are drawn, the picture is the saved frame).
Every script and style the pages load is a relative path under build/slides/assets/, fetched here, at
BUILD time, from the npm registry with `npm pack` (exact versions, integrity checked); nothing is
loaded from a CDN at view time, so the decks open from file:// with no network.
"""
import argparse
import base64
import hashlib
import html
import json
import shutil
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
sys.path.insert(0, str(ROOT / "tests"))

from nbrun import execute  # noqa: E402  (one notebook executor for bench, gates and slides)
from notebooks import lecture_notebooks  # noqa: E402

# name@version -> (sha512 integrity published by the registry, {member prefix in the tarball: dest in assets/}).
# html-manager 0.20.x is the renderer of ipywidgets 7 state (controls 1.5.0, base 1.2.0), matching the pin.
NPM = {
    "reveal.js@4.0.2": (
        "sha512-LWZSUenufF1gpD7npxJ7KfoQQFKgc1D6XrLTFgKlwWNP1BQ74hT48KONFWMAw+8R/QUeaScCLCLrBVHDfFIEiw==",
        {"package/dist/": "reveal.js/dist/", "package/plugin/notes/": "reveal.js/plugin/notes/",
         "package/LICENSE": "reveal.js/LICENSE"}),
    "requirejs@2.3.7": (
        "sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw==",
        {"package/require.js": "require.js"}),
    "jquery@3.7.1": (
        "sha512-m4avr8yL8kmFN8psrbFFFmB/If14iN5o9nw/NgnnM+kybDJpRsAynV2BsfpTYrTRysYUdADVD7CkUUizgkpLfg==",
        {"package/dist/jquery.min.js": "jquery.min.js", "package/LICENSE.txt": "jquery.LICENSE.txt"}),
    "@jupyter-widgets/html-manager@0.20.9": (
        "sha512-GzwmQB5VFGPu+QsJJxYyLOvHdAtnXrOHG0zfFzSD32wu0ZYBG72p2EERP3av9EqE6NlSe570muudhKwHtsJH9w==",
        {"package/dist/": "html-manager/"}),
    "mathjax@2.7.9": (  # only what TeX-AMS_CHTML-full needs: 5 MB of the package's 60
        "sha512-NOGEDTIM9+MrsqnjPEjVGNx4q0GQxqm61yQwSK+/5S59i26wId5IC5gNu9/bu8+CCVl5p9G2IHcAl/wJa+5+BQ==",
        {p: "mathjax/" + p[len("package/"):] for p in (
            "package/MathJax.js", "package/LICENSE", "package/config/TeX-AMS_CHTML-full.js", "package/config/Safe.js",
            "package/extensions/", "package/jax/input/TeX/", "package/jax/output/CommonHTML/",
            "package/jax/element/", "package/fonts/HTML-CSS/TeX/woff/")}),
}
URLS = {  # relative to the deck's folder
    "reveal_url_prefix": "assets/reveal.js",
    "require_js_url": "assets/require.js",
    "jquery_url": "assets/jquery.min.js",
    "mathjax_url": "assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "widget_renderer_url": "assets/html-manager/embed-amd.js",
}
# The reveal template, minus its one CDN import that has no setting (mermaid; the course has no diagrams).
# Headings keep their case (the white theme's uppercase turns "α" into "Α"); MathJax previews stay hidden.
TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
<style>
.reveal h1, .reveal h2, .reveal h3, .reveal h4 { text-transform: none !important; }
/* The template re-renders the maths on every slide change, which left MathJax's preview beside it ("εε"). */
.reveal .MathJax_Preview { display: none !important; }
</style>
{%- endblock html_head_css -%}
"""
EXECUTE_TIMEOUT_S = 120


def fetch_assets(assets, cache):
    """`npm pack` each pinned package into `cache` (once), check its integrity, unpack what the decks load."""
    cache.mkdir(parents=True, exist_ok=True)
    stamp = assets / ".npm-packages.json"
    wanted = json.dumps(NPM, sort_keys=True)  # versions, integrity and unpacked members: any change re-extracts
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if assets.exists():
        shutil.rmtree(assets)
    assets.mkdir(parents=True)
    for spec, (integrity, members) in NPM.items():
        name, version = spec.rsplit("@", 1)
        tgz = cache / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
        if not tgz.exists():
            print(f"npm pack {spec}", flush=True)
            subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", str(cache)],
                           check=True, stdout=subprocess.DEVNULL, cwd=cache)
        algo, want = integrity.split("-", 1)
        got = base64.b64encode(hashlib.new(algo, tgz.read_bytes()).digest()).decode()
        if got != want:
            tgz.unlink()
            raise SystemExit(f"{tgz.name}: integrity mismatch (expected {integrity}); removed, run again")
        with tarfile.open(tgz) as tar:
            for m in tar.getmembers():
                if not m.isfile():
                    continue
                for prefix, dest in members.items():
                    if m.name == prefix or (prefix.endswith("/") and m.name.startswith(prefix)):
                        out = assets / (dest + m.name[len(prefix):] if prefix.endswith("/") else dest)
                        out.parent.mkdir(parents=True, exist_ok=True)
                        out.write_bytes(tar.extractfile(m).read())
    stamp.write_text(wanted)


def export(notebook, out_dir):
    """Execute one notebook (widget state saved) and write OUT_DIR/<stem>.slides.html; return (name, seconds)."""
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter

    t0 = time.perf_counter()
    notebook = Path(notebook).resolve()
    nb, _ = execute(notebook, timeout=EXECUTE_TIMEOUT_S, store_widget_state=True)
    rise = nb.metadata.get("rise", {})
    exporter = SlidesExporter(
        extra_loaders=[DictLoader({"course_slides.html.j2": TEMPLATE})], template_file="course_slides.html.j2",
        reveal_width=str(rise.get("width", 1280)), reveal_height=str(rise.get("height", 800)),
        reveal_scroll=bool(rise.get("scroll", True)), reveal_number="c/t", reveal_transition="none",
        reveal_theme="white",  # its fonts ship with reveal.js (the default theme imports Google Fonts)
        **URLS)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": notebook.stem}})
    target = out_dir / f"{notebook.stem}.slides.html"
    target.write_text(body, encoding="utf-8")
    return target.name, time.perf_counter() - t0


def write_index(out_dir, decks):
    items = "\n".join(f'<li><a href="{html.escape(d)}">{html.escape(d.removesuffix(".slides.html"))}</a></li>'
                      for d in decks)
    (out_dir / "index.html").write_text(
        f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Slides</title></head>\n"
        f"<body><h1>Neural Architecture Design: slides</h1>\n<ul>\n{items}\n</ul></body></html>\n",
        encoding="utf-8")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: lectures/*.ipynb")
    ap.add_argument("--out", type=Path, default=BUILD / "slides")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    notebooks = args.notebooks or lecture_notebooks()
    if not notebooks:
        raise SystemExit("no notebooks to export")
    t0 = time.perf_counter()
    args.out.mkdir(parents=True, exist_ok=True)
    fetch_assets(args.out / "assets", BUILD / "npm")
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        done = list(pool.map(export, notebooks, [args.out] * len(notebooks)))
    for name, seconds in done:
        print(f"{seconds:6.1f} s  {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}/{name}")
    write_index(args.out, sorted(p.name for p in args.out.glob("*.slides.html")))
    print(f"slides: {len(done)} decks in {time.perf_counter() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
