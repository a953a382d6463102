"""A real browser on a real server: `streamlit run dashboard.py` on the fixture store, a deep link to a finished
study as the very first page request, then every page, checked for charts and for the absence of errors;
then the CSV/PNG/SVG downloads beside a chart, a view selection carried by a link, and the sidebar navigation.

Screenshots go to a temporary folder, or to ./screenshots with BATCHSCOPE_SCREENSHOTS=1 (or to the folder it names).
Run by hand on any store:  python tests/test_browser.py --store DIR [--study ID] [--out screenshots]
Debian's chromium is used as it is (never downloaded); the test is skipped without it.
"""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.slow   # a real browser on a real server

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
# URL path → the least number of charts the page draws for a finished study (New study and Jobs draw none).
PAGES = {"Speed": 3, "": 3, "New_study": 0, "Jobs": 0, "Generalization": 4, "Sharpness": 0, "Compare": 2, "Run": 2}
LOCAL = {"127.0.0.1", "localhost", "::1", "[::1]"}
SETTLED = """() => !document.querySelector('[data-testid=stSkeleton]')
                 && !document.querySelector('[data-testid=stStatusWidget]')"""


def ui_pages() -> list[str]:
    sys.path.insert(0, str(ROOT))
    from ui.frame import PAGES as listed
    return list(listed)


def ui_title(path: str) -> str:
    from ui.frame import page_title
    return page_title(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store: Path, port: int, log: Path) -> subprocess.Popen:
    """streamlit run, waiting for the port to open (no HTTP request before the test's own first one)."""
    env = {**os.environ, "BATCHSCOPE_STORE": str(store)}
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
                            cwd=ROOT, env=env, stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError(f"streamlit did not start: {log.read_text()[-2000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    """End the server start_server began, by its own PID (terminate, then kill after 10 s)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def settle(page, charts: int, timeout_ms: int = 30_000) -> None:
    """Wait for the script run to finish and the charts to be drawn."""
    page.wait_for_selector("[data-testid=stAppViewContainer]", timeout=timeout_ms)
    page.wait_for_selector("h1", timeout=timeout_ms)
    if charts:
        page.wait_for_function(f"() => document.querySelectorAll('[data-testid=stVegaLiteChart] canvas, "
                               f"[data-testid=stVegaLiteChart] svg.marks').length >= {charts}", timeout=timeout_ms)
    page.wait_for_function(SETTLED, timeout=timeout_ms)
    page.wait_for_timeout(400)        # a last repaint
    page.wait_for_function(SETTLED, timeout=timeout_ms)


def check_page(page, expect_charts: int) -> int:
    exceptions = page.locator("[data-testid=stException]")
    assert exceptions.count() == 0, exceptions.first.inner_text()
    errors = page.locator("[data-testid=stAlertContentError]")
    assert errors.count() == 0, errors.first.inner_text()
    n = page.locator("[data-testid=stVegaLiteChart]").count()
    assert n >= expect_charts, f"{page.url}: {n} charts, expected at least {expect_charts}"
    return n


def visit_all(base: str, study_id: str, out: Path) -> dict[str, int]:
    """Open every page (the first one as a deep link), check it, take a screenshot; charts drawn per page."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    drawn = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 2600}, accept_downloads=True)
            outside = set()

            def local_only(route):   # nothing leaves the machine: fonts, icons, scripts all come from the server
                url = urlparse(route.request.url)
                if url.scheme in ("http", "https", "ws", "wss") and (url.hostname or "") not in LOCAL:
                    outside.add(route.request.url)
                    return route.abort()
                return route.continue_()

            context.route("**/*", local_only)
            page = context.new_page()
            for i, (path, charts) in enumerate(PAGES.items()):
                page.goto(f"{base}/{path}?study={study_id}", wait_until="domcontentloaded")
                settle(page, charts)
                drawn[path or "home"] = check_page(page, charts)
                if i == 0:   # a deep link as the server's first request: the router's sidebar, in PAGES' order
                    nav = page.locator("[data-testid=stSidebarNavLink]").all_inner_texts()
                    assert nav == [ui_title(p) for p in ui_pages()], nav
                assert parse_qs(urlparse(page.url).query).get("study") == [study_id], page.url
                page.screenshot(path=str(out / f"{path or 'home'}.png"))
            # the downloads beside a chart: the image is made on the click (vl-convert), the CSV is the data
            page.goto(f"{base}/Speed?study={study_id}", wait_until="domcontentloaded")
            settle(page, PAGES["Speed"])
            for label, magic in (("PNG", b"\x89PNG"), ("SVG", b"<svg"), ("CSV", b"study_id")):
                with page.expect_download() as download:
                    page.locator("[data-testid=stDownloadButton] button", has_text=label).first.click()
                assert Path(download.value.path()).read_bytes().startswith(magic), label
            # a view's selection in the link is restored (widgets bound to the URL)
            page.goto(f"{base}/Generalization?study={study_id}&gen_metric=train+loss", wait_until="domcontentloaded")
            settle(page, PAGES["Generalization"])
            assert page.get_by_role("combobox", name="Metric").input_value() == "train loss"
            # the sidebar navigation keeps the study (the URL is rewritten by the page)
            page.locator("[data-testid=stSidebarNavLink]", has_text="Speed").first.click()
            page.wait_for_url("**/Speed**")
            settle(page, PAGES["Speed"])
            check_page(page, PAGES["Speed"])
            page.wait_for_function(f"() => location.search.includes('study={study_id}')", timeout=10_000)
            assert not outside, sorted(outside)   # e.g. a :material: tab icon is fetched from a font host
        finally:
            browser.close()
    return drawn


@pytest.fixture(scope="module")
def browser_ready():
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")


def test_every_page_renders_from_a_deep_link(browser_ready, fixture_store, tmp_path):
    root, spec = fixture_store
    wanted = os.environ.get("BATCHSCOPE_SCREENSHOTS")   # "1": ./screenshots; or a folder
    out = Path("screenshots" if wanted == "1" else wanted) if wanted else tmp_path / "screenshots"
    port = free_port()
    log = tmp_path / "streamlit.log"
    proc = start_server(root, port, log)
    try:
        drawn = visit_all(f"http://127.0.0.1:{port}", spec.study_id, out)
    finally:
        stop_server(proc)
    assert drawn["Speed"] >= 3 and drawn["Generalization"] >= 4
    assert "Traceback" not in log.read_text()
    assert {p.name for p in out.glob("*.png")} >= {"Speed.png", "home.png", "Compare.png"}


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--study", help="study id (default: the most recently updated)")
    ap.add_argument("--out", default="screenshots")
    a = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from studies.storage.store import open_store
    sid = a.study or open_store(a.store).list_studies().study_id.iloc[0]
    port = free_port()
    server = start_server(Path(a.store), port, Path(a.out).with_suffix(".log"))
    try:
        print(visit_all(f"http://127.0.0.1:{port}", sid, Path(a.out)))
    finally:
        server.terminate()
        server.wait(timeout=10)
