"""`pip install .` (not editable) into a fresh virtualenv serves the same pages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from search.indexing import build
from tests.conftest import ROOT, SEED
from tests.live import Server


@pytest.mark.slow
def test_installed_package_serves_pages_and_static_files(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", str(ROOT)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr[-2000:]
    src = tmp_path / "src"
    src.mkdir()
    (src / SEED.name).write_bytes(SEED.read_bytes())
    build([src], tmp_path / "index")
    # Run from elsewhere so that nothing can come from the work tree.
    server = Server(tmp_path / "index", tmp_path / "server.log",
                    command=[str(venv / "bin" / "news-search")], cwd=tmp_path)  # fmt: skip
    try:
        page = requests.get(server.url + "/", params={"q": "taliban"}, timeout=10)
        assert page.status_code == 200 and "<mark>Taliban</mark>" in page.text
        css = requests.get(server.url + "/static/style.css", timeout=10)
        assert css.status_code == 200 and "mark {" in css.text
        article = requests.get(server.url + f"/articles/{SEED.stem}", timeout=10)
        assert article.status_code == 200 and "Asian Lite News" in article.text
        docs = requests.get(server.url + "/api/docs", timeout=10)
        assert docs.status_code == 200 and "GET /api/search" in docs.text
        icon = requests.get(server.url + "/favicon.ico", timeout=10)
        assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg")
    finally:
        assert server.stop() == 0
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import web, search; print(web.__file__)"],
        capture_output=True, text=True, cwd=tmp_path, check=True,
    )  # fmt: skip
    assert str(venv) in installed.stdout
    # Serving installs no test or benchmark tools (make run installs just this).
    extras = subprocess.run([str(venv / "bin" / "python"), "-c", "import pytest"],
                            capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert extras.returncode != 0
