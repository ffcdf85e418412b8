"""The browser tests' JupyterLab is set up the way learners get it: no news pop-up."""

from __future__ import annotations

import json
import urllib.request

import pytest

from .lab import NO_CHROMIUM, LabServer, find_chromium

pytestmark = [
    pytest.mark.skipif(find_chromium() is None, reason=NO_CHROMIUM),
]


def test_news_and_update_checks_are_off(lab_server: LabServer) -> None:
    url = lab_server.url("/lab/api/settings/@jupyterlab/apputils-extension:notification")
    with urllib.request.urlopen(url, timeout=30) as response:
        settings = json.load(response)["settings"]
    assert settings["fetchNews"] == "false"
    assert settings["checkForUpdates"] is False
