"""Issue 14, "date filters are plain text boxes": the lists' date filters are the browser's date pickers, and
the date they send (YYYY-MM-DD whatever the page's language) filters the list."""

import datetime as dt

import pytest

from tests.factories import FlaggedItemFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/items/", ["logged_after", "logged_before"]),
        ("/cases/", ["opened_after", "opened_before"]),
        ("/notices/", ["sent_after", "sent_before"]),
    ],
)
def test_the_date_filters_are_date_pickers(client, supervisor, path, names):
    client.force_login(supervisor)
    page = client.get(path).content.decode()
    for name in names:
        assert f'type="date" name="{name}"' in page


def test_the_picked_date_filters_the_list_in_indonesian_too(client, analyst):
    old = FlaggedItemFactory(logged_at=dt.datetime(2017, 7, 10, 3, tzinfo=dt.UTC))
    new = FlaggedItemFactory(logged_at=dt.datetime(2017, 7, 14, 3, tzinfo=dt.UTC))
    client.force_login(analyst)
    page = client.get("/items/", {"logged_after": "2017-07-12"}, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert f"/items/{new.pk}/" in page and f"/items/{old.pk}/" not in page
    assert 'value="2017-07-12"' in page  # shown back in the picker's own format
