"""The outbound HTTP client refuses internal addresses in every spelling, pins the connection
to the address it checked, and caps what it reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.receiver import Receiver, running_receiver
from twofold.core import outbound


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS = ["127.0.0.1", "receiver.test"]
    with running_receiver() as running:
        yield running


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host name → the addresses the resolver answers (nothing reaches real DNS)."""
    answers: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"no such host {host}")
        return answers[host]

    monkeypatch.setattr(outbound, "resolver", resolve)
    return answers


REFUSED = [
    ("http://127.0.0.1/", "loopback"),
    ("http://[::1]/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://2130706433/", "loopback"),  # decimal
    ("http://0177.0.0.1/", "loopback"),  # octal
    ("http://0x7f.1/", "loopback"),  # hex, short
    ("http://0x7f000001/", "loopback"),
    ("http://127.1/", "loopback"),  # short
    ("http://[::ffff:127.0.0.1]/", "loopback"),  # IPv4-mapped IPv6
    ("http://[::ffff:a9fe:a9fe]/", "link-local"),  # mapped 169.254.169.254, hex
    ("http://[::127.0.0.1]/", "loopback"),  # IPv4-compatible IPv6
    ("http://[64:ff9b::7f00:1]/", "loopback"),  # NAT64
    ("http://[2002:7f00:1::]/", "loopback"),  # 6to4
    ("http://0.0.0.0/", "unspecified"),
    ("http://0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://10.1.2.3/", "private"),
    ("http://172.16.0.1/", "private"),
    ("http://192.168.0.10/", "private"),
    ("http://[fd00:ec2::254]/", "private"),  # AWS metadata over IPv6
    ("http://100.64.0.1/", "internal"),  # CGNAT
    ("http://100.100.100.200/", "internal"),  # Alibaba Cloud metadata
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://255.255.255.255/", "reserved"),
    ("http://localhost:8000/", "own"),
    ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
    ("file:///etc/passwd", "Only http"),
    ("gopher://example.com:70/_x", "Only http"),
    ("ftp://example.com/", "Only http"),
    ("dict://example.com:11211/", "Only http"),
    ("https://user:secret@example.com/", "user name or password"),
    ("https://@example.com/", "user name or password"),
    ("http:///nohost", "no host"),
    ("https://example.com:99999/", "not a valid URL"),
    ("https://exa mple.com/", "spaces"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED)
def test_internal_addresses_and_other_schemes_are_refused(
    url: str, reason: str, fake_dns: dict[str, list[str]]
) -> None:
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url(url)
    assert reason in refused.value.message


def test_a_host_that_resolves_to_a_private_address_is_refused(
    fake_dns: dict[str, list[str]],
) -> None:
    fake_dns["hooks.example.com"] = ["93.184.216.34", "10.0.0.7"]
    with pytest.raises(outbound.Refused) as refused:
        outbound.check_url("https://hooks.example.com/in")
    assert refused.value.message == (
        "hooks.example.com (10.0.0.7) is a private address: Twofold does not send requests there."
    )
    fake_dns["rebind.example.com"] = ["::ffff:169.254.169.254"]
    with pytest.raises(outbound.Refused, match="link-local"):
        outbound.check_url("https://rebind.example.com/")


def test_a_public_host_is_checked_and_pinned_to_its_address(
    fake_dns: dict[str, list[str]],
) -> None:
    fake_dns["hooks.example.com"] = ["93.184.216.34"]
    target = outbound.check_url("https://Hooks.Example.com./in?x=1")
    assert target == outbound.Target(
        scheme="https", host="hooks.example.com", port=443, path="/in?x=1", address="93.184.216.34"
    )


def test_a_host_that_does_not_resolve_is_refused(fake_dns: dict[str, list[str]]) -> None:
    with pytest.raises(outbound.Refused, match="could not be found"):
        outbound.check_url("https://nowhere.example/")


def test_the_connection_goes_to_the_checked_address_with_the_host_name_in_the_header(
    receiver: Receiver, fake_dns: dict[str, list[str]]
) -> None:
    # The system resolver does not know receiver.test: the request reaching the local receiver
    # shows the socket went to the address the check resolved, resolved once.
    calls: list[str] = []
    fake_dns["receiver.test"] = ["127.0.0.1"]
    real = outbound.resolver

    def counting(host: str, port: int) -> list[str]:
        calls.append(host)
        return real(host, port)

    outbound.resolver = counting
    try:
        answer = outbound.send(
            f"http://receiver.test:{receiver.port}/hook?a=1", body=b"{}", headers={"X-A": "1"}
        )
    finally:
        outbound.resolver = real
    assert (answer.status, answer.body, answer.truncated) == (200, b"ok", False)
    assert calls == ["receiver.test"]
    got = receiver.received[0]
    assert (got.method, got.path, got.body) == ("POST", "/hook?a=1", b"{}")
    assert got.headers["host"] == f"receiver.test:{receiver.port}"
    assert got.headers["x-a"] == "1"
    assert got.headers["user-agent"] == outbound.USER_AGENT


def test_redirects_are_not_followed_and_the_answer_is_capped(receiver: Receiver) -> None:
    receiver.answers = [
        (302, b"", {"Location": "http://169.254.169.254/"}),
        (200, b"x" * (outbound.MAX_RESPONSE_BYTES * 3), {}),
    ]
    redirected = outbound.send(receiver.url)
    assert redirected.status == 302
    assert len(receiver.received) == 1  # the Location was not requested
    big = outbound.send(receiver.url)
    assert (big.status, len(big.body), big.truncated) == (200, outbound.MAX_RESPONSE_BYTES, True)


def test_loopback_is_refused_at_send_time_without_the_allow_setting(settings: Any) -> None:
    settings.TWOFOLD_OUTBOUND_ALLOW_HOSTS = []
    with running_receiver() as receiver:
        with pytest.raises(outbound.Refused, match="loopback"):
            outbound.send(receiver.url)
        assert receiver.received == []
