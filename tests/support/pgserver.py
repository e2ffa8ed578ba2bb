"""A real PostgreSQL server for the Redshift-path tests, reached by the real ``redshift_connector``.

``pg`` (session-scoped) initdb's a throwaway cluster in a temp folder, starts it
on a free loopback port (unix sockets in the same folder; as ``postgres`` via
``runuser`` when the tests run as root, since the server refuses root) and puts
a small TCP shim in front of it, because ``redshift_connector`` refuses plain
PostgreSQL (the warehouse layout (docs/reference/warehouse-layout.md), "Testing the Redshift path"). The shim:

- answers an ``SSLRequest`` (and a ``GSSENCRequest``) with ``N``;
- drops the startup parameters PostgreSQL rejects (``client_protocol_version``,
  ``driver_version``, ``os_version``, ``driver_discovery_version``);
- rewrites the ``server_version`` ParameterStatus to Redshift's ``8.0.2``;
- relays every other byte unchanged, both ways.

Tests connect to ``pg.port`` (the shim) with ``ssl=False``. Authentication:
trust for every role but ``PASSWORD_ROLE``, which must log in with its
password over TCP (md5: the driver mis-parses PostgreSQL's SCRAM offer), so tests can exercise an auth failure.

Use ``pg.create_database()`` for a fresh database per test module, ``pg.connect()``
for a driver connection (autocommit on) and ``pg.run()`` for setup statements.
Without PostgreSQL server binaries the fixture skips with the reason.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import pytest

ADMIN = "coco_admin"
PASSWORD_ROLE = "coco_reader"
REDSHIFT_VERSION = b"8.0.2"
DROPPED_STARTUP_PARAMS = {b"client_protocol_version", b"driver_version", b"os_version", b"driver_discovery_version"}
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


def find_pg_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` holding ``initdb`` and ``pg_ctl`` (or ``$COCO_PG_BIN``)."""
    candidates = [os.environ["COCO_PG_BIN"]] if os.environ.get("COCO_PG_BIN") else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version_of(p), reverse=True)
    for c in candidates:
        if os.access(os.path.join(c, "initdb"), os.X_OK) and os.access(os.path.join(c, "pg_ctl"), os.X_OK):
            return Path(c)
    return None


def _version_of(path: str) -> float:
    try:
        return float(Path(path).parent.name)
    except ValueError:
        return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- the shim ------------------------------------------------------------------------------------


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("peer closed")
        buf += chunk
    return buf


def rewrite_startup(payload: bytes) -> bytes:
    """A StartupMessage body (protocol + key/value pairs) without the parameters PostgreSQL rejects."""
    protocol, rest = payload[:4], payload[4:]
    parts = rest.split(b"\x00")
    pairs = []
    i = 0
    while i + 1 < len(parts) and parts[i]:
        key, value = parts[i], parts[i + 1]
        if key not in DROPPED_STARTUP_PARAMS:
            pairs.append(key + b"\x00" + value + b"\x00")
        i += 2
    return protocol + b"".join(pairs) + b"\x00"


def rewrite_server_message(kind: bytes, body: bytes) -> bytes:
    """A backend message, with ``server_version`` reported as Redshift's."""
    if kind == b"S":
        name, _, _ = body.partition(b"\x00")
        if name == b"server_version":
            body = b"server_version\x00" + REDSHIFT_VERSION + b"\x00"
    return kind + struct.pack("!I", len(body) + 4) + body


class Shim:
    """Loopback TCP proxy from ``port`` to a PostgreSQL server at ``target_port``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self._closed = False
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="pg-shim", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._closed = True
        try:
            self.listener.close()
        except OSError:
            pass
        for s in list(self._conns):
            try:
                s.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        server = None
        try:
            while True:
                (length,) = struct.unpack("!I", _recv_exact(client, 4))
                payload = _recv_exact(client, length - 4)
                (code,) = struct.unpack("!I", payload[:4])
                if code in (SSL_REQUEST, GSSENC_REQUEST):
                    client.sendall(b"N")
                    continue
                break
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._conns += [client, server]
            if code != CANCEL_REQUEST:
                payload = rewrite_startup(payload)
            server.sendall(struct.pack("!I", len(payload) + 4) + payload)
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()
            self._backend(server, client)
        except (ConnectionError, OSError, struct.error):
            pass
        finally:
            for s in (client, server):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _backend(self, server: socket.socket, client: socket.socket) -> None:
        """Rewrite messages until the first ReadyForQuery (startup is over), then relay raw bytes."""
        while True:
            kind = _recv_exact(server, 1)
            (length,) = struct.unpack("!I", _recv_exact(server, 4))
            body = _recv_exact(server, length - 4)
            client.sendall(rewrite_server_message(kind, body))
            if kind in (b"Z", b"E"):
                break
        self._pipe(server, client)


# -- the server ----------------------------------------------------------------------------------


@dataclass
class PgServer:
    """A running throwaway PostgreSQL cluster behind the shim."""

    bin: Path
    root: Path
    pg_port: int
    shim: Shim
    as_postgres: bool
    host: str = "127.0.0.1"
    admin: str = ADMIN
    password_role: str = PASSWORD_ROLE
    password: str = "s3cr3t-Pa55-for-tests"
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def port(self) -> int:
        """The shim's port: what ``redshift_connector`` connects to."""
        return self.shim.port

    def connect(self, database: str = "postgres", user: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        """A ``redshift_connector`` connection through the shim, autocommit on."""
        import redshift_connector

        con = redshift_connector.connect(
            host=self.host,
            port=self.port,
            database=database,
            user=user or self.admin,
            password=password if password is not None else "",
            ssl=False,
            **kwargs,
        )
        con.autocommit = True
        return con

    def run(self, database: str, statements: str | Sequence[str], params: Sequence[Any] | None = None) -> None:
        """Run setup statements (one with ``params``, or several without) as the admin."""
        con = self.connect(database)
        try:
            cur = con.cursor()
            if isinstance(statements, str):
                cur.execute(statements, params)
            else:
                for s in statements:
                    cur.execute(s)
        finally:
            con.close()

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database, named ``<prefix>_<n>``."""
        name = f"{prefix}_{next(self._names)}"
        self.run("postgres", f'CREATE DATABASE "{name}"')
        return name

    def log(self) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        self.shim.close()
        _run_as(self.as_postgres, [str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"], check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _run_as(as_postgres: bool, cmd: list[str], check: bool = True) -> subprocess.CompletedProcess[str]:
    full = ["runuser", "-u", "postgres", "--", *cmd] if as_postgres else cmd
    return subprocess.run(full, check=check, capture_output=True, text=True, timeout=120, cwd="/")


def start_server() -> PgServer:
    """initdb + start a cluster on a free loopback port, with the shim in front; skips without binaries."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        pytest.skip("no PostgreSQL server binaries (looked in /usr/lib/postgresql/*/bin and $COCO_PG_BIN)")
    as_postgres = os.geteuid() == 0
    if as_postgres and shutil.which("runuser") is None:
        pytest.skip("running as root and 'runuser' is missing: cannot start PostgreSQL as the postgres user")
    root = Path(tempfile.mkdtemp(prefix="coco-pg-"))
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
    root.chmod(0o700)
    data = root / "data"
    try:
        _run_as(
            as_postgres, [str(pg_bin / "initdb"), "-D", str(data), "-U", ADMIN, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]
        )
        (data / "pg_hba.conf").write_text(
            f"local all all trust\nhost all {PASSWORD_ROLE} 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 trust\n"
        )
        port = free_port()
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        _run_as(
            as_postgres, [str(pg_bin / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "server.log"), "-w", "-t", "60", "start"]
        )
    except subprocess.CalledProcessError as e:
        log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {e.stderr or e.stdout}\n{log}") from e
    server = PgServer(pg_bin, root, port, Shim(port), as_postgres)
    _wait_ready(server)
    server.run(
        "postgres",
        [
            "SET password_encryption = 'md5'",
            f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{server.password}'",
        ],
    )
    return server


def _wait_ready(server: PgServer, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            server.connect().close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """A throwaway PostgreSQL server behind the Redshift shim, for the whole session."""
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


# -- the events table of the warehouse layout (docs/reference/warehouse-layout.md), in PostgreSQL -----------------------------------------

ID_COLUMNS = ("delivery_id", "robot_id", "pilot_id", "demand_id", "offer_id")


# Redshift's DATEDIFF as the fleet baseline calls it (``DATEDIFF('microsecond', a, b)``), over PostgreSQL
# timestamps; any other unit is NULL, so a statement relying on another one shows up in the tests.
DATEDIFF_STANDIN = (
    "CREATE OR REPLACE FUNCTION DATEDIFF(text, timestamp, timestamp) RETURNS bigint LANGUAGE sql IMMUTABLE AS "
    "'SELECT CASE WHEN lower($1) = ''microsecond'' THEN CAST(EXTRACT(EPOCH FROM ($3 - $2)) * 1000000 AS bigint) END'"
)


# Redshift's JSON_EXTRACT_PATH_TEXT over a JSON text (``coco compare`` reads a record's fields with it): PostgreSQL
# has the function over ``json``, and answers NULL where Redshift answers an empty string (a path not there).
JSON_PATH_STANDIN = (
    "CREATE OR REPLACE FUNCTION JSON_EXTRACT_PATH_TEXT(text, VARIADIC text[]) RETURNS text LANGUAGE sql IMMUTABLE AS "
    "$$SELECT COALESCE(json_extract_path_text($1::json, VARIADIC $2), '')$$"
)


def events_ddl(table: str = "public.events") -> list[str]:
    """The warehouse layout (extracted columns, the record whole) with ``jsonb`` standing in for SUPER,
    and ``JSON_SERIALIZE`` defined over it, so the source runs the SQL it would run on Redshift."""
    return [
        "CREATE OR REPLACE FUNCTION JSON_SERIALIZE(jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT $1::text'",
        DATEDIFF_STANDIN,
        JSON_PATH_STANDIN,
        f"""CREATE TABLE {table} (
            event VARCHAR(128),
            event_ts TIMESTAMP,
            delivery_id VARCHAR(64),
            robot_id VARCHAR(64),
            pilot_id VARCHAR(64),
            demand_id VARCHAR(64),
            offer_id VARCHAR(64),
            event_data JSONB,
            loaded_at TIMESTAMP DEFAULT now()
        )""",
        f"CREATE INDEX ON {table} (event_ts)",
    ]


def event_row(record: dict[str, Any]) -> list[Any]:
    """A record's column values as the loader extracts them: ids are top-level non-empty strings."""
    import json

    from cocoevents.timestamps import parse_timestamp, to_datetime

    us = parse_timestamp(record.get("timestamp"))
    name = record.get("event")
    ids = [v if isinstance(v := record.get(k), str) and v != "" else None for k in ID_COLUMNS]
    return [
        name if isinstance(name, str) else None,
        to_datetime(us).replace(tzinfo=None) if us is not None else None,
        *ids,
        json.dumps(record, ensure_ascii=False),
    ]


def load_events(pg: PgServer, database: str, records: Sequence[dict[str, Any]], table: str = "public.events", batch: int = 200) -> None:
    """Insert records into a table made by ``events_ddl`` (multi-row INSERTs, every value bound)."""
    con = pg.connect(database)
    try:
        cur = con.cursor()
        for i in range(0, len(records), batch):
            chunk = records[i : i + batch]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, CAST(%s AS jsonb))"] * len(chunk))
            params = [v for r in chunk for v in event_row(r)]
            cur.execute(f"INSERT INTO {table} (event, event_ts, {', '.join(ID_COLUMNS)}, event_data) VALUES {values}", params)
    finally:
        con.close()
