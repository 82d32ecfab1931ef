"""Fixtures of the end-to-end suite; the harness itself is lib.py.

- restock: a Restock (temporary directory and database); every server it started is stopped
  at the end of the test with SIGTERM and must exit 0 with no sanitizer report.
- push_host: a loopback host:port the servers of `shops` accept as a web push service.
- shops(n, *args, env=None): n shops created with `shop add`, then one server started on their
  database with the extra serve args; returns a list of lib.Shop.
- shop: shops(1)[0], the common case.
- sink: a real SMTP server (aiosmtpd, smtp_sink.py) for the test; a module may define its own.
"""

import os

import pytest

import lib
from smtp_sink import SmtpSink


@pytest.fixture(scope="session", autouse=True)
def restock_bin():
    assert os.access(lib.BIN, os.X_OK), f"no restock binary at {lib.BIN} (set RESTOCK_BIN)"
    return lib.BIN


@pytest.fixture
def restock(tmp_path):
    rs = lib.Restock(tmp_path / "restock")
    yield rs
    rs.close()


@pytest.fixture
def push_host():
    return f"127.0.0.1:{lib.free_port()}"


@pytest.fixture
def shops(restock, push_host):
    def make(n=1, *args, env=None):
        infos = [restock.add_shop(name=f"Shop {i}", url=f"https://shop{i}.example")
                 for i in range(n)]
        server = restock.start("--push-hosts", push_host, *args, env=env)
        return [lib.Shop(server, info) for info in infos]
    return make


@pytest.fixture
def shop(shops):
    return shops(1)[0]


@pytest.fixture
def sink():
    with SmtpSink() as s:
        yield s
