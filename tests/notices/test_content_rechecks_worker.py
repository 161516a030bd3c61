"""A real Celery worker makes the re-check a "removed" answer schedules, through the real proxy, after commit:
the web process never fetches, and the item found still there is back in a notice."""

import pytest

from notices.models import ContentCheck, NoticeItem
from tests.conftest import wait_for
from tests.notices.test_content_rechecks import Platform, platform_server, proxy, removed_per_platform  # noqa: F401
from tracker.items.models import FlaggedItem

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_makes_the_first_check_and_the_web_process_fetches_nothing(
    request,
    monkeypatch,
    settings,
    proxy,  # noqa: F811 - the fixture imported above
    platform_server,  # noqa: F811
    liaison_officer,
):
    monkeypatch.setenv("RECHECK_PROXY_URL", proxy)
    monkeypatch.setenv("RECHECK_HOST_INTERVAL_SECONDS", "0.001")
    request.getfixturevalue("celery_worker_process")
    settings.RECHECK_PROXY_URL = ""  # this process, the web side, could not fetch even if it tried
    _case, item, entry = removed_per_platform(liaison_officer, platform_server, path="/workerchannel")
    wait_for(
        lambda: ContentCheck.objects.filter(item=item).exclude(outcome="").exists(),
        message="the worker to make the first re-check",
    )
    first = ContentCheck.objects.filter(item=item).exclude(outcome="").get()
    assert first.outcome == ContentCheck.Outcome.PRESENT
    assert any(path == "/workerchannel" and "tinyproxy" in via for path, via in Platform.requests)
    assert FlaggedItem.objects.get(pk=item.pk).status == FlaggedItem.Status.IN_NOTICE
    assert NoticeItem.objects.get(pk=entry.pk).borne_out is False
    assert ContentCheck.objects.filter(item=item, outcome="").count() == 2  # a day and a week later, still due
