"""A lone surrogate (``"\\ud800"``: valid JSON, no UTF-8) answers 422 naming the field on every
JSON API, not a 500 from the insert; page forms and query strings never carry one (Django
decodes them as UTF-8 with undecodable bytes replaced)."""

from __future__ import annotations

from typing import Any

import pytest

from twofold.accounts.models import Team

pytestmark = pytest.mark.django_db

PROBLEM = "Text may not contain a lone surrogate (\\ud800-\\udfff): it is not Unicode."


def _post_json(client: Any, url: str, raw: bytes, token: str) -> Any:
    return client.post(
        url, data=raw, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"name": "Line \\ud800 2"}', "name"),
        (b'{"name": "Line \\udfff"}', "name"),
        (b'{"name": "\\ude00\\ud83d"}', "name"),  # a pair the wrong way round
        (b'{"name": "Line 2", "member_ids": ["\\ud800"]}', "member_ids.0"),
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_refused_naming_the_field(
    client: Any, org: Any, owner: Any, api_token: Any, raw: bytes, field: str
) -> None:
    r = _post_json(client, f"/api/organisations/{org.pk}/teams", raw, api_token(owner))
    assert r.status_code == 422
    assert r.json() == {"detail": f"{field}: {PROBLEM}", "field": field}
    assert not Team.objects.exists()


def test_a_lone_surrogate_in_a_key_is_refused(
    client: Any, org: Any, owner: Any, api_token: Any
) -> None:
    raw = b'{"name": "Line 2", "\\ud800": 1}'
    r = _post_json(client, f"/api/organisations/{org.pk}/teams", raw, api_token(owner))
    assert r.status_code == 422
    assert r.json() == {"detail": PROBLEM, "field": None}
    assert not Team.objects.exists()


def test_a_surrogate_pair_is_an_emoji_and_welcome(
    client: Any, org: Any, owner: Any, api_token: Any
) -> None:
    raw = b'{"name": "Line \\ud83d\\ude00"}'
    r = _post_json(client, f"/api/organisations/{org.pk}/teams", raw, api_token(owner))
    assert r.status_code == 201
    assert Team.objects.get().name == "Line \U0001f600"


def test_an_encoded_surrogate_in_a_page_form_arrives_replaced(signed_in: Any, owner: Any) -> None:
    """Checked on 2026-12-06: the percent-encoded UTF-8 of U+D800 reaches the view as three
    U+FFFD, so no surrogate can reach the database from a url-encoded form."""
    client = signed_in(owner)
    r = client.post(
        "/accounts/teams/", "name=Line+%ED%A0%80", content_type="application/x-www-form-urlencoded"
    )
    assert r.status_code == 302
    assert Team.objects.get().name == "Line \ufffd\ufffd\ufffd"


def test_raw_surrogate_bytes_in_a_multipart_form_arrive_replaced(
    signed_in: Any, owner: Any
) -> None:
    client = signed_in(owner)
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="name"\r\n\r\n'
        b"Line \xed\xa0\x80\r\n"
        b"--XyZ--\r\n"
    )
    r = client.post("/accounts/teams/", body, content_type="multipart/form-data; boundary=XyZ")
    assert r.status_code == 302
    assert Team.objects.get().name == "Line \ufffd\ufffd\ufffd"


def test_an_encoded_surrogate_in_a_query_string_is_plain_text(signed_in: Any, owner: Any) -> None:
    r = signed_in(owner).get("/projects/?q=%ED%A0%80")
    assert r.status_code == 200
