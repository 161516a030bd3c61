"""Issue 14, "on a case page one line of another platform drops the whole paste": the valid lines are added, each
refused line is reported with its number and reason, and the count reads as English does."""

import pytest

from tests.factories import CaseFactory, FlaggedItemFactory
from tests.factories_imports import platforms
from tracker.cases.models import CaseItem
from tracker.items.services import HostRegistry, recognise

pytestmark = pytest.mark.django_db


def test_a_paste_keeps_the_valid_lines_and_names_each_refused_one(client, analyst):
    found = platforms()
    case = CaseFactory(platform=found["telegram"])
    channel = FlaggedItemFactory(platform=found["telegram"], canonical="https://t.me/cell_one")
    canonical, _platform = recognise("https://www.youtube.com/@cell_two", registry=HostRegistry.load())
    video = FlaggedItemFactory(platform=found["youtube"], canonical=canonical.canonical, host=canonical.host)
    client.force_login(analyst)
    pasted = "\n".join(
        ["t.me/s/cell_one", "https://www.youtube.com/@cell_two", "https://t.me/never_logged", "not a url"]
    )
    response = client.post(f"/cases/{case.pk}/items/", {"urls": pasted}, follow=True)
    page = response.content.decode()
    assert list(CaseItem.objects.filter(case=case).values_list("item", flat=True)) == [channel.pk]
    assert "1 item added." in page
    assert "line 2: Not on Telegram, so not part of this case." in page
    assert "line 3: not logged yet, so not added: https://t.me/never_logged" in page
    assert "line 4:" in page
    assert not CaseItem.objects.filter(item=video).exists()
