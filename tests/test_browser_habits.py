"""W&B habits and Streamlit's own text in a real browser (Chromium on `streamlit run` over the fixture store):
the mouse wheel zooms a learning-curve chart and a double-click resets it, in the Streamlit frontend itself (a
faceted, layered chart on Generalization, a run's curve on the Run page); and the 中文 New study page shows no
English on Streamlit's file uploader (its button and drop hint are drawn from the catalogue, its limit line
hidden)."""
import io
import re

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, settle, start_server, stop_server

pytestmark = pytest.mark.slow   # a real browser on a real server


@pytest.fixture(scope="module")
def server(fixture_store, tmp_path_factory):
    pytest.importorskip("playwright.sync_api")
    if not __import__("pathlib").Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")
    root, spec = fixture_store
    port = free_port()
    proc = start_server(root, port, tmp_path_factory.mktemp("habits") / "streamlit.log")
    try:
        yield f"http://127.0.0.1:{port}", spec.study_id
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b.new_page(viewport={"width": 1400, "height": 1800})
        finally:
            b.close()


def _image(data: bytes):
    from PIL import Image
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return image.crop((0, 12, image.width, image.height))   # the chart's hover toolbar lives in the top strip


def _zoom_and_reset(page, chart) -> tuple[bool, bool]:
    """Wheel over the chart, then double-click: (the wheel changed the drawing, the double-click restored it).
    Each picture is taken with the mouse off the chart, so a tooltip is never what differs."""
    from PIL import ImageChops
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(500)

    def picture():
        page.mouse.move(2, 2)
        page.wait_for_timeout(800)
        return _image(chart.screenshot())

    before = picture()
    box = chart.bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.45
    page.mouse.move(x, y)
    page.mouse.wheel(0, -400)
    zoomed = picture()
    page.mouse.dblclick(x, y)
    reset = picture()
    return (ImageChops.difference(before, zoomed).getbbox() is not None,
            ImageChops.difference(before, reset).getbbox() is None)


FIRST_CHART_AFTER = """key => { const anchor = document.querySelector('.st-key-' + key);
    const chart = anchor && [...document.querySelectorAll('[data-testid=stVegaLiteChart]')].find(
        c => anchor.compareDocumentPosition(c) & Node.DOCUMENT_POSITION_FOLLOWING);
    if (chart) chart.setAttribute('data-habits', key);
    return !!chart; }"""


@pytest.mark.parametrize("path,anchor", [("Generalization", "gen_smooth"), ("Run", "run_smooth")])
def test_the_wheel_zooms_a_learning_curve_and_a_double_click_resets_it(server, browser, path, anchor):
    """The chart is the first one drawn after the page's smoothing control (Streamlit gives a chart no key
    class): Generalization's faceted learning curves, a run's loss curve."""
    base, sid = server
    browser.goto(f"{base}/{path}?study={sid}", wait_until="domcontentloaded")
    browser.wait_for_selector(f".st-key-{anchor}", timeout=60_000)
    settle(browser, 2)
    browser.wait_for_function(FIRST_CHART_AFTER, arg=anchor, timeout=30_000)
    chart = browser.locator(f"[data-habits={anchor}]")
    chart.locator("canvas, svg.marks").first.wait_for(timeout=30_000)
    changed, restored = _zoom_and_reset(browser, chart)
    assert changed, f"{path}: the wheel did not zoom the chart"
    assert restored, f"{path}: a double-click did not reset the zoom"


VISIBLE_ENGLISH = """sel => [...document.querySelectorAll(sel + ' *')].filter(e =>
    !e.closest('[data-testid=stIconMaterial]') && e.offsetParent !== null
    && parseFloat(getComputedStyle(e).fontSize) > 0
    && [...e.childNodes].some(n => n.nodeType === 3 && /[A-Za-z]{2,}/.test(n.textContent))).map(e => e.textContent)"""
AFTER = "e => getComputedStyle(e, '::after').content"


def test_the_chinese_uploader_shows_no_english(server, browser):
    base, _ = server
    browser.goto(f"{base}/New_study?lang=zh", wait_until="domcontentloaded")
    browser.wait_for_selector("[data-testid=stFileUploaderDropzone]", timeout=60_000)
    settle(browser, 0)
    zone = "[data-testid=stFileUploaderDropzone]"
    assert browser.evaluate(VISIBLE_ENGLISH, zone) == []
    assert browser.eval_on_selector(f"{zone} [data-testid=stMarkdownContainer] p", AFTER) == '"上传"'
    browser.evaluate_handle("() => 1")
    drop = browser.evaluate_handle("() => { const d = new DataTransfer(); d.items.add(new File(['x'], 'a.toml'));"
                                   " return d; }")
    browser.dispatch_event(zone, "dragenter", {"dataTransfer": drop})   # the drop hint appears while dragging
    browser.wait_for_selector(f"{zone} > div:not([data-testid]) > span", timeout=10_000)
    assert browser.evaluate(VISIBLE_ENGLISH, zone) == []
    assert browser.eval_on_selector(f"{zone} > div:not([data-testid]) > span", AFTER) == '"把文件拖到这里"'
    browser.dispatch_event(zone, "dragleave", {"dataTransfer": drop})
    browser.goto(f"{base}/New_study?lang=en", wait_until="domcontentloaded")   # English keeps Streamlit's text
    browser.wait_for_selector(zone, timeout=60_000)
    settle(browser, 0)
    assert re.search("Upload", " ".join(browser.evaluate(VISIBLE_ENGLISH, zone)))
