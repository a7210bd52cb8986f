"""class.html in a real browser: headless Chromium (Debian's `chromium`) lays the page out and
paints it, and the charts are there with their size, not only in the file.

Two looks: the DOM after load, with a measuring script added to a copy of the page (the page
itself has none), gives every chart's and every bar's laid-out size; a screenshot of the page
itself shows the bars painted in their colours. Without Chromium these tests skip with a reason,
except in CI (env CI set), where a missing browser is a broken set-up.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.classreport import charts, write_class_report
from handmade_reports import ARRAY, CORPUS, failing, passing, result, write_reports

#: Added to a copy of the page: every chart's and every bar's laid-out size, into the DOM.
MEASURE = """<script>
const box = element => { const r = element.getBoundingClientRect();
                         return [Math.round(r.width), Math.round(r.height)]; };
const charts = [...document.querySelectorAll("svg.chart")].map(svg => ({
  kind: svg.classList[1], size: box(svg),
  bars: [...svg.querySelectorAll("rect.bar")].map(box)}));
const out = document.createElement("pre"); out.id = "geometry";
out.textContent = JSON.stringify({charts, pairs: document.querySelectorAll("section.pair").length,
                                  marked: document.querySelectorAll("section.pair mark").length});
document.body.appendChild(out);
</script>"""


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI renders class.html in Chromium: install Debian's `chromium`",
                    pytrace=False)
    pytest.skip("needs Chromium (Debian: apt-get install chromium) to render class.html")


def run_chromium(tmp_path: Path, *arguments: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    command = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", f"--user-data-dir={profile}", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def class_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("class")
    results = [result(name, failing("backprop", ARRAY, "backprop.missing_1_over_m"))
               for name in ("ann", "bob", "judy")] + [passing("cat"), passing("dan")]
    write_reports(folder, results)
    write_class_report(folder, {"bob": CORPUS / "bob.py", "judy": CORPUS / "judy.py",
                                "ann": CORPUS / "alice.py", "cat": CORPUS / "carol.py"})
    return folder / "class.html"


def test_the_charts_are_laid_out_with_their_size(class_page, tmp_path):
    measured = tmp_path / "measured.html"
    measured.write_text(class_page.read_text().replace("</body>", MEASURE + "</body>"))
    dom = run_chromium(tmp_path, "--dump-dom", measured.as_uri())
    found = re.search(r'<pre id="geometry">(.*?)</pre>', dom, re.S)
    assert found, "the page did not load, or its DOM was not dumped"
    geometry = json.loads(found.group(1).replace("&quot;", '"'))
    kinds = [chart["kind"] for chart in geometry["charts"]]
    assert kinds == ["histogram", "rates", "rates"]   # scores, exercises, checks
    for chart in geometry["charts"]:
        width, height = chart["size"]
        assert width >= 300 and height >= 20, chart
        drawn = [bar for bar in chart["bars"] if bar[0] > 0 and bar[1] > 0]
        assert drawn, f"no bar of the {chart['kind']} chart has a size"
    assert geometry["pairs"] == 1 and geometry["marked"] > 10   # bob and judy, side by side


def test_the_page_is_painted_with_its_charts(class_page, tmp_path):
    from PIL import Image

    shot = tmp_path / "class.png"
    run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400",
                 "--hide-scrollbars", class_page.as_uri())
    image = Image.open(shot).convert("RGB")
    colours = {colour: count for count, colour in image.getcolors(maxcolors=1 << 20)}
    histogram = colours.get(_rgb(charts.HISTOGRAM_COLOUR), 0)
    rates = colours.get(_rgb(charts.RATE_COLOUR), 0)
    assert histogram > 2000, "the histogram's bars are not painted"
    assert rates > 2000, "the pass rates' bars are not painted"
    assert len(colours) > 50, "the page is blank or nearly so"


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[index:index + 2], 16) for index in (1, 3, 5))
