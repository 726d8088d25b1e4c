"""The HTML digest in a real browser (headless Chromium) at phone and desktop widths."""

from __future__ import annotations

import functools
import html
import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kapwatch.settings import Settings
from kapwatch.store import Store

from .helpers import WEEK1, run_week

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SECTIONS = [
    "Claims with new evidence",
    "The week's studies, each once",
    "Other new relevant studies",
    "Sources",
    "PubMed query",
]
FIRST_SCREEN = 900  # px: the headline and the first challenge must be on it
# The browser loads the digest in a frame of the given width and reports what overflows.
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="f" src="{page}" style="width:{width}px;height:20000px;border:0"></iframe>
<script>
document.getElementById("f").addEventListener("load", function () {{
  var doc = this.contentDocument, root = doc.documentElement;
  var wide = Array.from(doc.querySelectorAll("body *")).filter(function (el) {{
    return el.getBoundingClientRect().right > root.clientWidth + 1; }}).map(function (el) {{
    return el.tagName; }});
  function bottom(el) {{ return el ? el.getBoundingClientRect().bottom : null; }}
  function top(el) {{ return el ? el.getBoundingClientRect().top : null; }}
  document.body.setAttribute("data-probe", JSON.stringify({{
    scroll: root.scrollWidth, client: root.clientWidth, wide: wide,
    headline: bottom(doc.getElementById("headline")),
    challenge: top(doc.querySelector(".challenge")),
    headings: Array.from(doc.querySelectorAll("h2")).map(function (h) {{
      return h.textContent.trim(); }}) }}));
}});
</script></body></html>"""


@pytest.fixture
def served_digest(settings: Settings) -> Iterator[tuple[str, Path]]:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (CI installs Debian's chromium package)")
    run_week(settings, Store(settings.db_url), WEEK1)
    folder = settings.digests_dir
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", folder
    finally:
        server.shutdown()
        server.server_close()


def chromium(*args: str) -> str:
    assert CHROMIUM is not None
    profile = tempfile.mkdtemp(prefix="kapwatch-chromium-")
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    shutil.rmtree(profile, ignore_errors=True)
    return done.stdout


@pytest.mark.parametrize("page", ["2026-W46.html", "2026-W46.email.html"])
@pytest.mark.parametrize("width", [390, 1024])
def test_the_week_opens_on_its_headline_and_fits(
    served_digest: tuple[str, Path], width: int, page: str
) -> None:
    base, folder = served_digest
    probe_page = f"probe{width}-{page}"
    (folder / probe_page).write_text(PROBE.format(page=page, width=width), encoding="utf-8")
    dom = chromium(
        "--window-size=1200,900",
        "--virtual-time-budget=5000",
        "--dump-dom",
        f"{base}/{probe_page}",
    )
    raw = dom.split('data-probe="', 1)[1].split('"', 1)[0]
    probe = json.loads(html.unescape(raw))
    assert probe["client"] == width
    assert probe["scroll"] <= probe["client"], f"horizontal overflow at {width}px: {probe['wide']}"
    for section in SECTIONS:
        assert section in probe["headings"]
    assert 0 < probe["headline"] <= FIRST_SCREEN, probe
    if probe["challenge"] is not None:
        assert probe["challenge"] <= FIRST_SCREEN, probe


def test_screenshots_at_phone_and_desktop_widths(served_digest: tuple[str, Path]) -> None:
    base, folder = served_digest
    for width in (390, 1024):
        for page in ("2026-W46.html", "2026-W46.email.html"):
            shot = folder / f"{page.removesuffix('.html')}-{width}.png"
            chromium(
                f"--window-size={width},1600",
                "--hide-scrollbars",
                f"--screenshot={shot}",
                f"{base}/{page}",
            )
            header = shot.read_bytes()[:24]
            assert header[:8] == b"\x89PNG\r\n\x1a\n"
            assert int.from_bytes(header[16:20], "big") == width  # the PNG's own width field
