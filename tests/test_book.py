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
    """Build the book once for this module (jupyter-book -W: any warning fails).

    ``BOOK_HTML=path/to/_build/html`` reads an already built site instead (while editing these tests).
    """
    if os.environ.get("BOOK_HTML"):
        return Path(os.environ["BOOK_HTML"])
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


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no request log in the test output
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser(server):
    """Headless Debian Chromium driven by Playwright (skipped, visibly, where it cannot be installed)."""
    chromium = _chromium()
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (make test installs Debian's chromium)")
        pytest.skip("Chromium is not installed and could not be installed here: browser test NOT run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


class Reader:
    """One browser tab of a given width that may only talk to the local server, recording what goes wrong:
    requests that would leave the machine and JavaScript errors (console errors and uncaught exceptions)."""

    def __init__(self, browser, server: str, width: int = 1280, height: int = 900):
        self.server, self.outside, self.errors = server, [], []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.route("**/*", self._guard)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"{self.current}: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.current}: {e}"))
        self.current = ""

    def _guard(self, route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, name: str):
        self.current = name
        response = self.page.goto(f"{self.server}/{name}", wait_until="load")
        assert response is not None and response.ok, name
        # window.MathJax is first the configuration object; startup.promise exists once MathJax runs
        self.page.wait_for_function("() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)",
                                    timeout=60_000)
        self.page.evaluate("() => window.MathJax && MathJax.startup.promise")
        return self.page

    def close(self):
        self.page.close()


@pytest.fixture
def reader(browser, server):
    tab = Reader(browser, server)
    yield tab
    tab.close()


CHAPTER_PAGES = [p for p in PAGES if p.startswith("notebooks/")]


def test_pages_render_offline_in_chromium(reader):
    page = reader.page
    page.goto(f"{reader.server}/index.html")
    page.wait_for_url("**/book/intro.html", timeout=30_000)  # the home page redirects to the intro
    for name in PAGES:
        reader.open(name)
        broken = page.evaluate("""() => Array.from(document.images)
            .filter(i => !(i.complete && i.naturalWidth > 0 && i.naturalHeight > 0)).map(i => i.src)""")
        assert broken == [], f"{name}: images that did not load: {broken}"
        text = page.evaluate("() => document.body.innerText")
        assert "$$" not in text, f"{name}: raw $$ left in the page"
        if name.startswith("notebooks/"):
            assert page.evaluate("() => document.querySelectorAll('mjx-container').length") > 0, name
            assert page.evaluate("() => document.images.length") > 0, f"{name}: no figure"
    assert reader.outside == [], f"requests left the machine: {reader.outside}"


def test_no_javascript_error_on_any_page(reader):
    """No console error and no uncaught exception (e.g. sphinx-thebe's THEBE_JS_URL declared twice)."""
    reader.page.goto(f"{reader.server}/index.html")
    reader.page.wait_for_url("**/book/intro.html", timeout=30_000)
    for name in PAGES:
        reader.open(name)
        reader.page.wait_for_timeout(300)  # late scripts (async) report their errors
    assert reader.errors == []


def test_the_claim_check_cell_shows_its_output_only(reader):
    """The claim-check cell is tagged remove-input: its table shows, its code and marker do not."""
    for name in CHAPTER_PAGES:
        text = reader.open(name).evaluate("() => document.body.innerText")
        assert "NBVAL_CHECK_OUTPUT" not in text, f"{name}: the claim-check cell's code is shown"


def test_the_intros_slide_table_shows_formulas_as_math(reader):
    page = reader.open("book/intro.html")
    assert page.evaluate("() => document.querySelectorAll('table mjx-container').length") >= 2


def test_a_chapters_download_menu_offers_its_py(reader):
    for name in CHAPTER_PAGES:
        page = reader.open(name)
        hrefs = page.evaluate("""() => Array.from(document.querySelectorAll('.dropdown-download-buttons a'))
            .map(a => a.getAttribute('href'))""")
        stem = name.rsplit("/", 1)[1].removesuffix(".html")
        py = [h for h in hrefs if h.endswith(f"{stem}.py")]
        assert py, f"{name}: the download menu offers {hrefs}, no .py"
        response = page.request.get(f"{reader.server}/notebooks/{py[0]}")
        assert response.ok and "# %%" in response.text(), f"{name}: {py[0]} is not the chapter's source"


def test_every_chapters_verdicts_are_visible_at_1280_px(reader):
    """The claim check's verdict column ends inside the text column: no sideways scrolling to read it."""
    for name in CHAPTER_PAGES:
        page = reader.open(name)
        box = page.evaluate("""() => {
            const pres = Array.from(document.querySelectorAll('.cell_output pre, div.output pre'))
                .filter(p => /claim check/i.test(p.innerText));
            if (!pres.length) return null;
            const p = pres[pres.length - 1], r = p.getBoundingClientRect();
            return {right: r.right, scroll: p.scrollWidth, client: p.clientWidth, viewport: window.innerWidth};
        }""")
        assert box is not None, f"{name}: no claim-check output found"
        assert box["scroll"] <= box["client"] + 1, (
            f"{name}: the claim check is {box['scroll']} px wide in a {box['client']} px box: the verdicts "
            "are cut off (its table must be at most 72 characters wide)")
        assert box["right"] <= box["viewport"], f"{name}: the claim check ends outside the window"


@pytest.mark.parametrize("name", ["book/intro.html", "book/scoreboard.html", *CHAPTER_PAGES])
def test_no_sideways_scrolling_on_a_390_px_phone(browser, server, name):
    tab = Reader(browser, server, width=390, height=844)
    try:
        page = tab.open(name)
        widths = page.evaluate("""() => {
            const W = document.documentElement.clientWidth;
            const wide = Array.from(document.querySelectorAll('.bd-article *')).filter(el => {
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.right <= W + 1) return false;
                for (let p = el.parentElement; p; p = p.parentElement) {  // wide, but inside a scrolling box
                    if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)
                        && p.getBoundingClientRect().right <= W + 1) return false;
                }
                return true;
            }).slice(0, 5).map(el => el.tagName.toLowerCase() + '.' + el.className + ': ' + el.textContent.slice(0, 60));
            return {scroll: document.documentElement.scrollWidth, client: W, wide: wide};
        }""")
        assert widths["scroll"] <= widths["client"], f"{name} scrolls sideways at 390 px: {widths}"
        assert widths["wide"] == [], f"{name}: elements wider than a 390 px screen: {widths['wide']}"
    finally:
        tab.close()


def test_every_figure_has_a_numbered_caption(reader):
    """Every image in a chapter is a numbered figure with a caption (``plots.glue_figure`` and a
    ``{glue:figure}`` with ``:name:``; issue 18). NOTE: fails until every chapter captions its figures."""
    missing = {}
    for name in CHAPTER_PAGES:
        page = reader.open(name)
        bare = page.evaluate("""() => Array.from(document.querySelectorAll('.bd-article img')).filter(img => {
            const fig = img.closest('figure');
            return !(fig && fig.querySelector('figcaption .caption-number'));
        }).length""")
        if bare:
            missing[name] = bare
    assert missing == {}, f"images without a numbered caption, per chapter: {missing}"
