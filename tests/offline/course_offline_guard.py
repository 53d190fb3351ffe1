"""Offline guard for the test run: refuse every socket connection that leaves this machine, and DNS.

`make test` puts this folder on PYTHONPATH, so Python imports its sitecustomize.py (which imports this
module) at start-up in pytest AND in every notebook kernel nbval starts (kernels inherit the environment).
Loopback (127.0.0.0/8, ::1) and Unix sockets stay allowed: the kernel talks to pytest over loopback.
Connecting anywhere else, or resolving a host name other than localhost (a DNS query is a packet), raises
OfflineError before a single packet is sent.
"""
import ipaddress
import os
import socket


class OfflineError(OSError):
    """Raised instead of connecting to a non-loopback address while the course runs its tests."""


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host):
    if host in ("localhost", "localhost.localdomain", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it would need DNS and the network


def _check(sock, address):
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(str(address[0])):
        raise OfflineError(f"network access blocked by the course's offline guard: {address!r}")


def _guarded_connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and not _is_loopback(str(name)):
        raise OfflineError(f"name lookup blocked by the course's offline guard: {host!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


def install():
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex
    socket.getaddrinfo = _guarded_getaddrinfo
    socket.course_offline_guard = True


if os.environ.get("COURSE_OFFLINE") == "1":
    install()
