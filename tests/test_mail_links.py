"""The links in account emails lead, when they lead to the API, to a page that gives the token and the
mutation that uses it; visiting it changes nothing."""

from __future__ import annotations

import html
import re

import pytest
from graphql import parse, validate

from api.mail_links import MUTATIONS
from market.mail.links import ACCEPT_INVITATION_PATH, RESET_PASSWORD_PATH, VERIFY_EMAIL_PATH
from tests.conftest import Api

TOKEN = 'tok-"><b>bold</b>'


def mutation_on(page: str) -> str:
    found = re.search(r"<pre[^>]*>(.*?)</pre>", page, re.S)
    assert found, page
    return html.unescape(found.group(1))


@pytest.mark.parametrize("path", [VERIFY_EMAIL_PATH, RESET_PASSWORD_PATH, ACCEPT_INVITATION_PATH])
async def test_an_email_link_gives_the_token_and_a_mutation_the_schema_takes(api: Api, path: str) -> None:
    response = await api.client.get(path, params={"token": TOKEN}, headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store" and response.headers["referrer-policy"] == "no-referrer"
    assert "script-src" not in response.headers["content-security-policy"]
    assert "<b>bold</b>" not in response.text  # the token is text, not markup
    mutation = mutation_on(response.text)
    assert f"token: {TOKEN!r}".replace("'", '"') in mutation.replace('\\"', '"')
    filled = mutation.replace("…", "Mật khẩu dài đủ 12")
    schema = api.app.state.schema._schema
    assert validate(schema, parse(filled)) == [], filled
    assert set(MUTATIONS) == {VERIFY_EMAIL_PATH, RESET_PASSWORD_PATH, ACCEPT_INVITATION_PATH}


async def test_an_email_link_without_a_token_says_so(api: Api) -> None:
    response = await api.client.get(VERIFY_EMAIL_PATH, headers={"Accept-Language": "vi"})
    assert response.status_code == 400 and "không có mã" in response.text


async def test_a_notification_link_gives_a_query_for_what_it_is_about(api: Api) -> None:
    from market.notifications.links import INBOX_PATH, OBJECT_PATHS

    schema = api.app.state.schema._schema
    for path in (*(f"{p}/RGVhbDo2YjBjODA2MDBmZTgyYTdkMmY5YmM1ZjM=" for p in OBJECT_PATHS), INBOX_PATH):
        response = await api.client.get(path, headers={"Accept-Language": "en"})
        assert response.status_code == 200 and response.headers["cache-control"] == "no-store", path
        query = mutation_on(response.text)
        assert validate(schema, parse(query)) == [], (path, query)
    deal = await api.client.get('/deals/"><b>x</b>')
    assert "<b>x</b>" not in deal.text  # the id is text, not markup
