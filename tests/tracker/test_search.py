"""Issue 14, "search misses what analysts type": the search box and the list filter read a URL in any form the
analyst types it, one box finds items, cases, notices, orders and platforms (each only for those who may read
them), and a query naming one record opens it."""

import pytest

from notices import sending
from tests.factories import CaseFactory, FlaggedItemFactory
from tests.factories_blocking import ISPFactory, isp_user
from tests.factories_imports import platforms
from tests.factories_notices import case_with_items
from tracker.search import finding

pytestmark = pytest.mark.django_db

TYPED = ["t.me/s/durov_news", "https://telegram.me/durov_news/", "HTTPS://T.ME/durov_news?single", "@durov_news"]


@pytest.fixture
def channel():
    telegram = platforms()["telegram"]
    return FlaggedItemFactory(platform=telegram, canonical="https://t.me/durov_news", display="https://t.me/durov_news")


@pytest.mark.parametrize("typed", TYPED[:3])
def test_the_finding_the_item_list_finds_the_channel_by_the_form_the_analyst_typed(client, analyst, channel, typed):
    client.force_login(analyst)
    page = client.get("/items/", {"q": typed}).content.decode()
    assert f"/items/{channel.pk}/" in page


@pytest.mark.parametrize("typed", TYPED[:3])
def test_the_search_box_opens_the_item_named_by_any_form_of_its_url(client, analyst, channel, typed):
    client.force_login(analyst)
    response = client.get("/search/", {"q": typed})
    assert response.status_code == 302 and response["Location"] == f"/items/{channel.pk}/"


def test_the_api_search_groups_what_it_finds_and_puts_the_named_item_first(api_client, analyst, channel):
    FlaggedItemFactory(platform=channel.platform, canonical="https://t.me/durov_news_fans")
    api_client.force_authenticate(analyst)
    response = api_client.get("/api/v1/search/", {"q": "t.me/s/durov_news"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["items"][0]["id"] == channel.pk and len(body["items"]) == 2
    assert set(body) == set(finding.readable_groups(analyst))
    assert api_client.get("/api/v1/search/", {"q": "x", "page": "2"}).status_code == 400
    assert api_client.get("/api/v1/search/").status_code == 400


def test_a_notice_reference_opens_the_notice_and_a_case_number_the_case(client, liaison_officer):
    notice = sending.send_notice(case=case_with_items(count=1)[0], actor=liaison_officer)
    client.force_login(liaison_officer)
    assert client.get("/search/", {"q": notice.reference.lower()})["Location"] == f"/notices/{notice.pk}/"
    case = CaseFactory(title="Gambling ring on Telegram")
    assert client.get("/search/", {"q": f"#{case.pk}"})["Location"] == f"/cases/{case.pk}/"
    page = client.get("/search/", {"q": "gambling ring"}).content.decode()
    assert 'id="found-cases"' in page and f"/cases/{case.pk}/" in page


def test_platforms_are_found_by_name_and_by_host(client, auditor):
    telegram = platforms()["telegram"]
    client.force_login(auditor)
    page = client.get("/search/", {"q": "telegram.dog"}).content.decode()
    assert 'id="found-platforms"' in page and f"/platforms/{telegram.pk}/" in page


def test_an_isp_account_has_no_search(client, api_client):
    user = isp_user(ISPFactory())
    client.force_login(user)
    assert client.get("/search/", {"q": "x"}).status_code == 403
    api_client.force_authenticate(user)
    assert api_client.get("/api/v1/search/", {"q": "x"}).status_code == 403


def test_nothing_found_is_said_in_words(client, analyst):
    client.force_login(analyst)
    page = client.get("/search/", {"q": "no-such-thing-anywhere"}).content.decode()
    assert 'id="search-nothing"' in page
