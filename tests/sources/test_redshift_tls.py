"""TLS to Redshift: the password goes only to a server whose certificate names the profile's host.

The impostor is real: a TLS server on loopback speaking the start of the PostgreSQL protocol, holding a
certificate for another host name issued by a CA the client trusts (a throwaway CA made here, trusted through
``SSL_CERT_FILE``, which the driver's ``load_default_certs`` reads). It asks for the password in clear text,
as a server that wants it would, and records whatever arrives.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from cocoevents.sources.redshift_driver import connect_kwargs
from cocoevents.sources.redshift_settings import Settings

from ..support.cli import run_coco
from ..support.redshift import write_config

SECRET = "s3cret-impostor-bait"


def make_ca_and_certificate(folder: Path, name: str) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for ``name`` it signed: (ca.pem, cert.pem, key.pem)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "coco test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )  # digital signature, cert sign, CRL sign
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


class Impostor:
    """A loopback server that accepts TLS with the given certificate and asks for a clear-text password."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(30)
        self.port = self.listener.getsockname()[1]
        self.received: list[bytes] = []  # every byte after the TLS handshake
        self.handshakes = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            raw, _ = self.listener.accept()
        except OSError:
            return
        raw.settimeout(30)
        try:
            if self._read(raw, 8) != struct.pack("!ii", 8, 80877103):  # SSLRequest
                return
            raw.sendall(b"S")
            conn = self.context.wrap_socket(raw, server_side=True)
            self.handshakes += 1
            length = struct.unpack("!i", self._read(conn, 4))[0]
            self.received.append(self._read(conn, length - 4))  # the startup message: user, database
            conn.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
            kind = self._read(conn, 1)
            length = struct.unpack("!i", self._read(conn, 4))[0]
            self.received.append(kind + self._read(conn, length - 4))
            error = b"SFATAL\0C28P01\0Mnot today\0\0"
            conn.sendall(b"E" + struct.pack("!i", len(error) + 4) + error)
        except (OSError, ValueError, struct.error):
            pass
        finally:
            raw.close()

    @staticmethod
    def _read(sock: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ValueError("closed")
            data += chunk
        return data

    def close(self) -> None:
        self.listener.close()
        self.thread.join(10)

    @property
    def got_the_password(self) -> bool:
        return any(SECRET.encode() in part for part in self.received)


@pytest.fixture
def impostor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    ca, cert, key = make_ca_and_certificate(tmp_path, "attacker.example")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the client trusts the CA that issued the impostor's certificate
    monkeypatch.setenv("COCO_REDSHIFT_PASSWORD", SECRET)
    server = Impostor(cert, key)
    yield server
    server.close()


def profile(port: int, *extra: str) -> str:
    lines = ['default = "wh"', "[profiles.wh]", 'source = "redshift"', 'host = "localhost"', f"port = {port}"]
    lines += ['database = "analytics"', 'user = "oncall"', *extra]
    return "\n".join(lines) + "\n"


def test_by_default_a_server_whose_certificate_names_another_host_never_gets_the_password(impostor, isolated_env) -> None:
    write_config(isolated_env, profile(impostor.port))
    result = run_coco("doctor")
    impostor.close()
    assert not impostor.got_the_password
    assert impostor.received == []  # not even the user name: the handshake failed on the host name
    assert (result.code, result.out) == (4, "")
    assert result.err == (
        f"coco: error: cannot connect to redshift localhost:{impostor.port}/analytics as oncall: "
        "the server's TLS certificate is not for host localhost (sslmode verify-full checks the host name)\n"
    )
    assert SECRET not in result.err


@pytest.mark.parametrize("mode", ["verify-ca", "require"])
def test_a_weaker_sslmode_is_taken_only_when_the_profile_says_so_and_warns_of_the_risk(impostor, isolated_env, mode) -> None:
    write_config(isolated_env, profile(impostor.port, f'sslmode = "{mode}"'))
    result = run_coco("doctor")
    impostor.close()
    assert result.code == 4
    assert result.err.splitlines()[0] == (
        f'coco: warning: profile wh: sslmode = "{mode}" does not check that the server\'s certificate names '
        "localhost: any server holding a certificate from a trusted CA can pose as it and receive the password; "
        'use sslmode = "verify-full"'
    )
    assert impostor.handshakes == 1  # what the warning says: the impostor's certificate was accepted


def test_sslmode_disable_means_no_tls_and_a_password_login_then_only_to_a_loopback_host(isolated_env) -> None:
    values = {"host": "analytics.example.com", "database": "d", "user": "u", "sslmode": "disable"}
    write_config(isolated_env, '[profiles.p]\nsource = "redshift"\n' + "".join(f'{k} = "{v}"\n' for k, v in values.items()))
    result = run_coco("config", "show", "--profile", "p")
    assert (result.code, result.out) == (2, "")
    assert 'sslmode = "disable" would send the password in clear to analytics.example.com' in result.err
    loopback = Settings.from_values("test", "p", {**values, "host": "127.0.0.1"})
    kwargs = connect_kwargs(loopback, "pw")
    assert kwargs["ssl"] is False and "sslmode" not in kwargs


def test_the_default_sslmode_is_verify_full_and_is_passed_to_the_driver_explicitly() -> None:
    s = Settings.from_values("test", "p", {"host": "h.example.com", "database": "d", "user": "u"})
    assert s.sslmode == "verify-full"
    kwargs = connect_kwargs(s, "pw")
    assert (kwargs["ssl"], kwargs["sslmode"]) == (True, "verify-full")
