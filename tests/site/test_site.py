"""The built book in a real browser (headless Chromium driven by selenium).

Run after the book build (``scripts/test.sh`` does): every page of the table of contents is
served from ``_build/html`` on 127.0.0.1 to a browser that cannot reach any other host, and

- loads, with no raw TeX left in its text and every equation typeset by the MathJax copy served
  with the site (so the book works offline, e.g. from a USB stick in a workshop);
- has no broken internal link (file and anchor) and no broken image;
- as a notebook page, has its Binder and Colab launch buttons;
- at 1280 px, has no display equation or notebook input cell wider than its box
  (``scrollWidth > clientWidth``).

A screenshot of each page goes to ``_build/screenshots/``. The checker is itself tested on
deliberately broken pages. Without Chromium and its driver the tests skip, saying so, unless
``GSBOOK_REQUIRE_BROWSER=1`` (``.ci/run``), which makes a missing browser a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)


def _need_browser():
    if CHROMIUM and DRIVER:
        return
    message = ("no headless browser: install Debian's 'chromium' and 'chromium-driver' "
               "(apt-get install chromium chromium-driver) to test the built site")
    if os.environ.get("GSBOOK_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    _need_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-quic", "--no-first-run",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                 # nothing but the local server: a page that needs a CDN shows it here
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def _serve(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


# ----------------------------------------------------------------------------- the checker
_PAGE_REPORT = """
const done = arguments[arguments.length - 1];
const ready = (window.MathJax && MathJax.startup && MathJax.startup.promise) ? MathJax.startup.promise : Promise.resolve();
ready.then(() => {
  const main = document.querySelector('main') || document.body;
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
  const text = clone.innerText;
  const raw = ['$$', '\\\\[', '\\\\(', '\\\\begin{'].filter(t => text.includes(t));
  const maths = [...main.querySelectorAll('.math')];
  const untypeset = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60));
  const wide = [...main.querySelectorAll('mjx-container[display="true"], .cell_input pre')]
      .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
      .map(e => e.tagName.toLowerCase() + ': ' + e.textContent.trim().slice(0, 60) + ' (' + e.scrollWidth + ' > ' + e.clientWidth + ' px)');
  const images = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute('src'));
  const links = [...main.querySelectorAll('a[href]')].map(a => a.getAttribute('href'));
  const launch = [...document.querySelectorAll('a[href]')].map(a => a.href)
      .filter(h => h.includes('mybinder.org') || h.includes('colab.research.google.com'));
  done({raw, maths: maths.length, untypeset, wide, images, links, launch, mathjax: !!window.MathJax});
});
"""


def _target(base: str, page_url: str, href: str, folder: Path):
    """(file, fragment) an internal link points to, or None for an external one."""
    url = urljoin(page_url, href)
    if not url.startswith(base):
        return None
    parsed = urlparse(url)
    path = folder / unquote(parsed.path[len(urlparse(base).path):])
    if path.is_dir():
        path = path / "index.html"
    return path, parsed.fragment


def page_problems(driver, base: str, name: str, folder: Path, *, notebook: bool, shot: Path | None = None) -> list[str]:
    """Every problem the browser finds on one page (empty list: the page is fine)."""
    url = urljoin(base, name)
    driver.get(url)
    info = driver.execute_async_script(_PAGE_REPORT)
    if shot is not None:  # the whole page (up to 8000 px tall), then back to 1280 x 1000
        shot.parent.mkdir(parents=True, exist_ok=True)
        height = min(int(driver.execute_script("return document.documentElement.scrollHeight")), 8000)
        driver.set_window_size(1280, max(height, 1000))
        driver.save_screenshot(str(shot))
        driver.set_window_size(1280, 1000)
    problems = [f"raw TeX in the text: {t!r}" for t in info["raw"]]
    if info["maths"] and not info["mathjax"]:
        problems.append("equations but no MathJax loaded")
    problems += [f"equation not typeset: {m!r}" for m in info["untypeset"]]
    problems += [f"wider than its box at 1280 px: {w}" for w in info["wide"]]
    problems += [f"broken image: {src}" for src in info["images"]]
    ids_cache: dict[Path, set[str]] = {}
    for href in info["links"]:
        target = _target(base, driver.current_url, href, folder)
        if target is None:
            continue
        path, fragment = target
        if not path.is_file():
            problems.append(f"broken link: {href}")
            continue
        if fragment and path.suffix == ".html":
            if path not in ids_cache:
                ids_cache[path] = set(re.findall(r"""id=["']([^"']+)["']""", path.read_text(errors="replace")))
            if unquote(fragment) not in ids_cache[path]:
                problems.append(f"broken anchor: {href}")
    if notebook:
        if not any("mybinder.org" in h for h in info["launch"]):
            problems.append("no Binder launch button")
        if not any("colab.research.google.com" in h for h in info["launch"]):
            problems.append("no Colab launch button")
    return problems


# ----------------------------------------------------------------------------- the book
def _pages() -> list[tuple[str, bool]]:
    """(html path, is a notebook) for every page in the table of contents."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "file":
                    files.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk({k: v for k, v in toc.items() if k != "root"})
    return [(f"{f}.html", (ROOT / f"{f}.ipynb").exists()) for f in files]


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built book in {SITE}: build it first (bash scripts/book.sh)")
    server, base = _serve(SITE)
    yield base
    server.shutdown()


PAGES = _pages()


@pytest.mark.parametrize("name, notebook", PAGES, ids=[p for p, _ in PAGES])
def test_page_in_a_real_browser(browser, site, name, notebook):
    shot = SHOTS / (name.replace("/", "__").removesuffix(".html") + ".png")
    problems = page_problems(browser, site, name, SITE, notebook=notebook, shot=shot)
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


def test_mathjax_is_served_with_the_site():
    mathjax = [p for p in SITE.rglob("*.js") if "mathjax" in str(p).lower() or p.name.startswith("tex-")]
    assert mathjax, "no MathJax copy in the built site"
    for page in SITE.rglob("*.html"):
        assert "cdn.jsdelivr.net/npm/mathjax" not in page.read_text(errors="replace"), f"{page} loads MathJax from a CDN"


# ----------------------------------------------------------------------------- the checker on broken pages
BROKEN = {
    "good.html": "<main><p>Text with a <a href='other.html#there'>link</a>.</p></main>",
    "other.html": "<main><h1 id='there'>There</h1></main>",
    "raw.html": "<main><div class='math notranslate'>$$ y = X b + e $$</div></main>",
    "link.html": "<main><a href='missing.html'>gone</a> <a href='other.html#nowhere'>no anchor</a></main>",
    "image.html": "<main><img src='missing.png'></main>",
    "wide.html": ("<main style='width:600px'><div class='math'><mjx-container display='true' "
                  "style='display:block;overflow-x:auto'><span style='display:inline-block;width:3000px'>"
                  "a very long equation</span></mjx-container></div></main>"),
    "notebook.html": "<main><p>A notebook page without launch buttons.</p></main>",
}


def test_the_checker_flags_each_kind_of_broken_page(browser, tmp_path):
    for name, body in BROKEN.items():
        (tmp_path / name).write_text(f"<!DOCTYPE html><html><body>{body}</body></html>")
    server, base = _serve(tmp_path)
    try:
        def check(name, notebook=False):
            return page_problems(browser, base, name, tmp_path, notebook=notebook)

        assert check("good.html") == []
        assert any("raw TeX" in p for p in check("raw.html"))
        link = check("link.html")
        assert "broken link: missing.html" in link and "broken anchor: other.html#nowhere" in link
        assert check("image.html") == ["broken image: missing.png"]
        assert any("wider than its box" in p for p in check("wide.html"))
        assert check("notebook.html", notebook=True) == ["no Binder launch button", "no Colab launch button"]
    finally:
        server.shutdown()
