"""The one way Twofold makes HTTP requests to addresses that users typed (webhooks, ...).

A URL a user registers may point anywhere, including at this server's own network: the
database, the cloud's metadata service, an admin console on localhost. So every outbound
request goes through :func:`send`, which

* accepts only ``http`` and ``https`` URLs without credentials (``user:pass@``);
* resolves the host itself and refuses when *any* resolved address is loopback, private,
  link-local (169.254.0.0/16 and fe80::/10 hold the cloud metadata services), shared/CGNAT
  (100.64.0.0/10), multicast, unspecified, reserved or otherwise not globally routable — for
  IPv4 and IPv6 alike, an IPv4-mapped or -compatible IPv6 address counting as its IPv4 one;
* understands every numeric spelling of an IPv4 address the way the C resolver does
  (``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1`` are all 127.0.0.1), so none slips past;
* then connects to the address it checked (the socket goes to that IP, the ``Host`` header
  and TLS server name carry the host name), so a host whose DNS answer changes between check
  and connect ("DNS rebinding") cannot move the request elsewhere;
* does **not** follow redirects: a 3xx is returned as it is (a webhook receiver answers 2xx);
* has short connect and read timeouts, an overall deadline that bounds every read of the
  answer (status line and headers included, so a receiver dripping bytes cannot outlast it),
  and reads at most :data:`MAX_RESPONSE_BYTES` of the answer;
* ignores the ``HTTP(S)_PROXY`` environment (a proxy would make the address check moot).

``settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS`` names hosts (exact names or IP literals) that may be
internal anyway — an on-premises receiver, or the tests' local receiver. :func:`check_url`
runs the same checks without sending; forms and the API call it when a URL is registered, and
:func:`send` repeats them on every request.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

CONNECT_TIMEOUT_S = 3.0
READ_TIMEOUT_S = 5.0
TOTAL_TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
MAX_URL_LENGTH = 2000
USER_AGENT = "Twofold-Webhooks/1"

BLOCKED_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "ip6-loopback",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
    }
)
"""Names refused before any lookup: loopback aliases and the cloud metadata services."""

_EXTRA_BLOCKED = (
    ipaddress.ip_network("0.0.0.0/8"),  # "this network": 0.x reaches the host itself on Linux
    ipaddress.ip_network("100.64.0.0/10"),  # shared address space (CGNAT, Alibaba metadata)
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64: embeds an IPv4 address, checked below
    ipaddress.ip_network("64:ff9b:1::/48"),
    ipaddress.ip_network("2002::/16"),  # 6to4: embeds an IPv4 address
    ipaddress.ip_network("fec0::/10"),  # site-local (deprecated, still routed internally)
)


class Refused(Exception):
    """The URL may not be requested; ``message`` says why, in words for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``address``) and what to ask for."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


@dataclass(frozen=True)
class Response:
    """What came back: status, headers, at most ``MAX_RESPONSE_BYTES`` of body, time taken."""

    status: int
    body: bytes
    duration_ms: int
    headers: Mapping[str, str] = field(default_factory=dict)
    truncated: bool = False


Resolver = Callable[[str, int], list[str]]


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


resolver: Resolver = _system_resolver
"""How host names become addresses (tests replace it to fake a DNS answer)."""


def _allowed_hosts() -> set[str]:
    hosts = getattr(settings, "TWOFOLD_OUTBOUND_ALLOW_HOSTS", ()) or ()
    return {str(h).strip().lower().strip("[]") for h in hosts if str(h).strip()}


def ipv4_literal(host: str) -> ipaddress.IPv4Address | None:
    """``host`` as an IPv4 address if it is one in any spelling ``inet_aton`` accepts
    (dotted, short ``127.1``, decimal ``2130706433``, octal ``0177.0.0.1``, hex ``0x7f.1``)."""
    if not host or not all(c in "0123456789abcdefxABCDEFX." for c in host):
        return None
    if not host[0].isdigit():
        return None  # a name such as "cafe.example" is not a number
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``address`` may not be connected to, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in ipaddress.ip_network("64:ff9b::/96"):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is None and int(address) >> 32 == 0 and int(address) > 1:
            embedded = ipaddress.IPv4Address(int(address))  # IPv4-compatible ::a.b.c.d
        if embedded is not None:
            reason = refusal(embedded)
            if reason:
                return reason
    if address.is_loopback:
        return "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if address.is_private:
        return "a private address"
    for network in _EXTRA_BLOCKED:
        if address.version == network.version and address in network:
            return "an internal address"
    if not address.is_global:
        return "an address that is not public"
    return None


def _parse(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or not url.strip():
        raise Refused("Enter a URL.")
    if len(url) > MAX_URL_LENGTH:
        raise Refused(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise Refused("The URL contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"This is not a valid URL ({exc}).") from exc
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise Refused("Only http:// and https:// URLs can be used.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Refused("The URL must not contain a user name or password.")
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        raise Refused("The URL has no host.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port or (443 if scheme == "https" else 80), path


def check_url(url: str) -> Target:
    """The checked target of ``url``, or :class:`Refused` saying why it may not be requested.

    Resolves the host (a name that does not resolve is refused too); every address it resolves
    to must be public unless the host is in ``TWOFOLD_OUTBOUND_ALLOW_HOSTS``.
    """
    scheme, host, port, path = _parse(url)
    allowed = host in _allowed_hosts()
    if host in BLOCKED_NAMES and not allowed:
        raise Refused(f"The host {host} is this server's own or a metadata service.")
    literal: ipaddress.IPv4Address | ipaddress.IPv6Address | None = ipv4_literal(host)
    if literal is None:
        try:
            literal = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = list(dict.fromkeys(resolver(host, port)))
        except (OSError, UnicodeError) as exc:
            raise Refused(f"The host {host} could not be found ({exc}).") from exc
        if not addresses:
            raise Refused(f"The host {host} could not be found.")
    checked: list[str] = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text.split("%")[0])
        except ValueError as exc:
            raise Refused(f"The host {host} resolved to {text!r}, not an address.") from exc
        reason = None if allowed else refusal(address)
        if reason:
            shown = host if str(address) == host else f"{host} ({address})"
            raise Refused(f"{shown} is {reason}: Twofold does not send requests there.")
        checked.append(str(address))
    return Target(scheme=scheme, host=host, port=port, path=path, address=checked[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to a checked address (``Host`` stays the URL's host name)."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT_S)
        self.sock.settimeout(self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to a checked address; the certificate must match the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), CONNECT_TIMEOUT_S)
        sock.settimeout(self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


class _DeadlineReader(io.RawIOBase):
    """The socket's reads, each given at most the time left before ``deadline`` (and at most
    :data:`READ_TIMEOUT_S`): the status line and headers too, so a receiver that drips its
    answer a byte at a time cannot hold a worker past the overall limit. Reads through the
    socket's own ``makefile`` reader, which keeps the socket open while the response reads
    (``Connection: close`` closes the connection once the headers are in)."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)
        self._deadline = deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise _overall_timeout()
        self._sock.settimeout(min(READ_TIMEOUT_S, left))
        try:
            return self._raw.readinto(buffer)
        except TimeoutError:
            if time.monotonic() >= self._deadline:
                raise _overall_timeout() from None
            raise

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineSocket:
    """What ``http.client.HTTPResponse`` reads from: only ``makefile``, bounded by the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))


def _overall_timeout() -> TimeoutError:
    return TimeoutError(f"no complete answer within {TOTAL_TIMEOUT_S:g} s")


def send(
    url: str,
    *,
    method: str = "POST",
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Send one request to ``url`` after :func:`check_url`; no redirects are followed.

    Raises :class:`Refused` when the URL may not be requested, ``OSError`` (timeouts,
    refused connections, TLS errors) or ``http.client.HTTPException`` when the exchange fails.
    """
    target = check_url(url)
    connection_class: Any = (
        _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    )
    connection = connection_class(target, READ_TIMEOUT_S)
    started = time.monotonic()
    deadline = started + TOTAL_TIMEOUT_S
    # Every read of the answer, the status line and headers included, gets the time left.
    connection.response_class = lambda sock, *args, **kwargs: http.client.HTTPResponse(
        _DeadlineSocket(sock, deadline),  # type: ignore[arg-type]
        *args,
        **kwargs,
    )
    answer: http.client.HTTPResponse | None = None
    try:
        connection.request(
            method,
            target.path,
            body=body,
            headers={"User-Agent": USER_AGENT, "Connection": "close", **(headers or {})},
        )
        answer = connection.getresponse()
        chunks: list[bytes] = []
        size = 0
        truncated = False
        while True:
            if time.monotonic() > deadline:
                raise _overall_timeout()
            chunk = answer.read1(8192)  # what has come (read() would wait for all 8 KiB)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size >= MAX_RESPONSE_BYTES:
                truncated = True
                break
        duration = int((time.monotonic() - started) * 1000)
        return Response(
            status=answer.status,
            body=b"".join(chunks)[:MAX_RESPONSE_BYTES],
            duration_ms=duration,
            headers={k.lower(): v for k, v in answer.getheaders()},
            truncated=truncated,
        )
    finally:
        if answer is not None:
            answer.close()  # a truncated answer's socket too, not at garbage collection
        connection.close()
