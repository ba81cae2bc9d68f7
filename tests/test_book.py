"""The rendered book: built with warnings as errors, then read in real headless Chromium, offline."""

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ibcore.notebooks import ROOT, toc_chapters

HTML = ROOT / "_build" / "html"
PAGES = ["book/intro.html", "book/scoreboard.html", "book/performance.html", "book/reproducing.html", "book/references.html"] + [
    f"notebooks/{c.name}.html" for c in toc_chapters()]


@pytest.fixture(scope="module")
def site() -> Path:
    """Build the book once for this module (jupyter-book -W: any warning fails)."""
    exe = Path(sys.executable).with_name("jupyter-book")
    proc = subprocess.run([str(exe), "build", str(ROOT), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return HTML


pytestmark = pytest.mark.slow


def test_every_page_is_built(site):
    assert (site / "index.html").is_file()  # a redirect to book/intro.html
    for page in PAGES:
        assert (site / page).is_file(), page
    assert (site / "_static" / "mathjax" / "tex-svg-full.js").is_file()


def test_no_page_loads_from_a_cdn(site):
    remote = re.compile(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=\"(https?:)?//", re.I)
    for page in site.rglob("*.html"):
        for m in remote.finditer(page.read_text(errors="replace")):
            tag = page.read_text(errors="replace")[m.start():m.start() + 200]
            if tag.lower().startswith("<link") and not re.search(r"rel=\"(stylesheet|preload|modulepreload|icon)\"", tag):
                continue  # <link rel="canonical"> etc. load nothing
            pytest.fail(f"{page.relative_to(site)} loads a remote resource: {tag[:120]}")


def test_scoreboard_lists_the_chapters_claims(site):
    text = (site / "book" / "scoreboard.html").read_text()
    for chapter in toc_chapters():
        assert f"{chapter.name}.html" in text
    assert "no claims recorded" not in text


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_pages_render_offline_in_chromium(server):
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (make test installs Debian's chromium)")
        pytest.skip("Chromium is not installed and could not be installed here: browser test NOT run")
    from playwright.sync_api import sync_playwright

    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page()

        def guard(route):
            host = urlparse(route.request.url).hostname
            if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.goto(f"{server}/index.html")
        page.wait_for_url("**/book/intro.html", timeout=30_000)  # the home page redirects to the intro
        for name in PAGES:
            response = page.goto(f"{server}/{name}", wait_until="load")
            assert response is not None and response.ok, name
            # window.MathJax is first the configuration object; startup.promise exists once MathJax runs
            page.wait_for_function("() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)",
                                   timeout=60_000)
            page.evaluate("() => window.MathJax && MathJax.startup.promise")
            broken = page.evaluate("""() => Array.from(document.images)
                .filter(i => !(i.complete && i.naturalWidth > 0 && i.naturalHeight > 0)).map(i => i.src)""")
            assert broken == [], f"{name}: images that did not load: {broken}"
            text = page.evaluate("() => document.body.innerText")
            assert "$$" not in text, f"{name}: raw $$ left in the page"
            if name.startswith("notebooks/"):
                assert page.evaluate("() => document.querySelectorAll('mjx-container').length") > 0, name
                assert page.evaluate("() => document.images.length") > 0, f"{name}: no figure"
        browser.close()
    assert outside == [], f"requests left the machine: {outside}"
