"""The offline guard fires for non-loopback addresses and lets loopback through, here and in kernels.

No test sends a packet off the machine: where the guard could fail, the real connect is replaced by a
recorder first, so a broken guard shows up as a recorded call, not as traffic.
"""
import os
import socket
import subprocess
import sys

import pytest

from notebooks import ROOT

GUARD_DIR = ROOT / "tests" / "offline"
sys.path.insert(0, str(GUARD_DIR))
import course_offline_guard as guard  # noqa: E402  (the guard itself; sitecustomize.py only imports it)


@pytest.fixture
def recorder(monkeypatch):
    calls = []
    monkeypatch.setattr(guard, "_real_connect", lambda self, address: calls.append(address))
    monkeypatch.setattr(socket.socket, "connect", guard._guarded_connect)
    return calls


def test_guard_fires_for_an_outside_address(recorder):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        with pytest.raises(guard.OfflineError, match="offline guard"):
            s.connect(("192.0.2.1", 80))  # TEST-NET-1: documentation-only address
        with pytest.raises(guard.OfflineError):
            s.connect(("example.org", 443))
    assert recorder == []


def test_guard_refuses_name_lookups_but_not_localhost(monkeypatch):
    lookups = []
    monkeypatch.setattr(guard, "_real_getaddrinfo", lambda host, *a, **k: lookups.append(host) or [])
    monkeypatch.setattr(socket, "getaddrinfo", guard._guarded_getaddrinfo)
    with pytest.raises(guard.OfflineError, match="name lookup"):
        socket.getaddrinfo("example.org", 443)
    socket.getaddrinfo("localhost", 80)
    socket.getaddrinfo("127.0.0.1", 80)
    assert lookups == ["localhost", "127.0.0.1"]


def test_guard_lets_loopback_through(recorder):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.connect(("127.0.0.1", 9))
    assert recorder == [("127.0.0.1", 9)]


def test_the_test_run_and_its_kernels_are_guarded():
    if os.environ.get("COURSE_OFFLINE") != "1":
        pytest.skip("run through `make test`, which sets COURSE_OFFLINE=1 and PYTHONPATH=tests/offline")
    assert getattr(socket, "course_offline_guard", False), "pytest itself is not guarded"
    # A fresh interpreter, as nbval starts for each notebook kernel, inherits the guard from the environment.
    code = "import socket; print(getattr(socket, 'course_offline_guard', False))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"
