"""The app inside Jupyter: a real IPython kernel (started by the test, stopped by its own client) runs the
README's snippet with Dash's ``jupyter_mode``; the app then answers over HTTP from inside the kernel."""

from __future__ import annotations

import re
import time
import urllib.request
from pathlib import Path

import pytest

jupyter_client = pytest.importorskip("jupyter_client")  # in the test extras: a missing one is an install error below

REPO = Path(__file__).resolve().parents[1]


def _snippet() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("The whole app runs inside JupyterLab"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_readme_jupyter_snippet_serves_the_app(tmp_path: Path) -> None:
    from tests.conftest import _free_port

    free_port = _free_port()
    code = (_snippet().replace('"~/kalamos-data"', repr(str(tmp_path / "data")))
            .replace('jupyter_mode="jupyterlab"', 'jupyter_mode="external"')  # no JupyterLab front end here
            .replace("port=8050", f"port={free_port}"))
    assert f"port={free_port}" in code and 'jupyter_mode="external"' in code
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(REPO))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(code, timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        deadline, page = time.monotonic() + 60, ""
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{free_port}/", timeout=5) as answer:
                    page = answer.read().decode("utf-8")
                    break
            except OSError:
                time.sleep(0.5)
        assert "Kalamos" in page and "_dash-config" in page
        with urllib.request.urlopen(f"http://127.0.0.1:{free_port}/_dash-layout", timeout=10) as answer:
            assert b"annotate" in answer.read()
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
