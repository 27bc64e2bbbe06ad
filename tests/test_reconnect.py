"""PostgreSQL going away under a running app: the request that meets it fails with the error the app
turns into a message, and once the database is back the same engine serves the next request (its
pool checks connections before use) — no restart of the app.

The restart is played by a small TCP relay between the engine and PostgreSQL: closing the relay
drops every connection, as a server restart does."""

import socket
import threading
from contextlib import closing, suppress

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import make_engine, transaction
from tests.conftest import POSTGRES_URL, postgres_unavailable
from ui.actions import DATABASE_UNAVAILABLE


class Relay:
    """Forwards a local port to PostgreSQL until stopped; stopping cuts every open connection."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.open:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                return
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with closing(source), closing(sink):
            try:
                while data := source.recv(65536):
                    sink.sendall(data)
            except OSError:
                pass

    def stop(self) -> None:
        self.open = False
        for sock in self.sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.sockets.clear()
        self.listener.close()

    def restart(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()


@pytest.fixture
def relay():
    url = make_url(POSTGRES_URL)
    try:
        socket.create_connection((url.host, url.port or 5432), timeout=3).close()
    except OSError as error:
        postgres_unavailable(f"cannot connect to {url.host}:{url.port}: {error}")
    relay = Relay((url.host, url.port or 5432))
    yield relay
    relay.stop()


def test_the_app_reconnects_after_postgresql_restarts(relay):
    url = make_url(POSTGRES_URL).set(host="127.0.0.1", port=relay.port)
    engine = make_engine(url.render_as_string(hide_password=False), connect_args={"connect_timeout": 3})
    with transaction(engine) as session:
        assert session.execute(text("SELECT 1")).scalar() == 1  # a pooled connection now exists

    relay.stop()
    with pytest.raises(DATABASE_UNAVAILABLE), transaction(engine) as session:
        session.execute(text("SELECT 1"))

    relay.restart()
    with transaction(engine) as session:
        assert session.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()
