"""The Playground in a real browser: a deep link with its settings opens that view, the map (a PNG background
under Vega-Lite layers), the loss and the noise charts are drawn, and scrubbing puts the step in the link."""
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, check_page, free_port, settle, start_server

pytestmark = pytest.mark.slow


@pytest.fixture
def browser_ready():
    pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}")


def test_a_playground_link_opens_its_view_and_scrubbing_updates_the_link(browser_ready, tmp_path):
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_server(tmp_path, port, tmp_path / "streamlit.log")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 2000})
            page.goto(f"http://127.0.0.1:{port}/Playground?pg_surface=Rosenbrock&pg_optimizers=adam"
                      "&pg_optimizers=rmsprop", wait_until="domcontentloaded")
            settle(page, 3, 90_000)
            assert check_page(page, 3) >= 3
            assert page.get_by_role("combobox", name="Surface").input_value() == "Rosenbrock"
            assert "rmsprop" in page.locator("[data-testid=stMultiSelect]").first.inner_text()
            assert page.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg.marks"
                                ).count() >= 3
            slider = page.locator("[data-testid=stSlider]", has_text="Show up to step").get_by_role("slider")
            slider.focus()
            for _ in range(5):
                slider.press("ArrowLeft")
            page.wait_for_function("() => /pg_step_200=19[0-9]/.test(location.search)", timeout=30_000)
            settle(page, 3, 90_000)
            check_page(page, 3)
            assert parse_qs(urlparse(page.url).query)["pg_surface"] == ["Rosenbrock"]
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    assert "Traceback" not in (tmp_path / "streamlit.log").read_text()

