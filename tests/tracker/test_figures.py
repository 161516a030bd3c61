"""The figures against a hand-counted fixture, with the edges: an answer exactly at the deadline, a late answer,
a rebuttal withdrawn, an order lifted before its ISPs acknowledged, a notice sent on the period's first local
day but the previous day in UTC. Every number below was counted by hand from the records made here."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from blocking.models import BlockOrder, ComplianceAlert, ComplianceCheck, OrderRecipient
from notices.models import Notice, NoticeItem, Rebuttal, Sanction
from tests.factories import CaseFactory, CategoryFactory, FlaggedItemFactory, PlatformFactory, make_user
from tests.factories_blocking import ISPFactory
from tests.factories_notices import ladder, normal_category
from tracker.core.errors import DomainError
from tracker.imports.models import ItemImport
from tracker.items.models import FlaggedItem
from tracker.reports import figures
from tracker.reports.composed import compose
from tracker.reports.periods import Period, period_from

pytestmark = pytest.mark.django_db

JAKARTA = ZoneInfo("Asia/Jakarta")
Q4 = Period(datetime(2026, 10, 1).date(), datetime(2026, 12, 31).date(), JAKARTA)
NOW = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
HOUR = 3600


def at(month, day, hour=0, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(frozen):
    policy = ladder()
    steps = {step.position: step for step in policy.steps.all()}
    first_step, second_step = min(steps), sorted(steps)[1]
    telegram = PlatformFactory(slug="telegram", name="Telegram")
    other = PlatformFactory(slug="other", name="Other")
    terrorism, gambling = CategoryFactory(), normal_category()
    analyst = make_user("analyst")
    liaison = make_user("liaison_officer", username="lia")
    telegram_case = CaseFactory(platform=telegram, owner=liaison)
    other_case = CaseFactory(platform=other, owner=liaison)
    references = iter(range(1, 100))

    def notice(case, *, sent, hours, status, step=first_step, answered=None):
        return Notice.objects.create(
            reference=f"N-{next(references)}",
            case=case,
            step=steps[step],
            status=status,
            urgency="urgent",
            subject="s",
            body="b",
            legal_basis="l",
            sent_at=sent,
            deadline_at=sent + timedelta(hours=hours),
            answered_at=answered,
        )

    def entry(of, *, category, outcome="", outcome_at=None, logged=None):
        item = FlaggedItemFactory(
            platform=of.case.platform, category=category, logged_by=analyst, logged_at=logged or at(10, 2)
        )
        return NoticeItem.objects.create(
            notice=of,
            item=item,
            canonical=item.canonical,
            display=item.display,
            category=category.slug,
            legal_basis="l",
            urgency="urgent",
            outcome=outcome,
            outcome_at=outcome_at,
        )

    n1 = notice(telegram_case, sent=at(10, 5), hours=24, status=Notice.Status.ANSWERED, answered=at(10, 7))
    entry(n1, category=terrorism, outcome="removed", outcome_at=at(10, 6))  # exactly at the deadline: in time
    entry(n1, category=terrorism, outcome="restricted", outcome_at=at(10, 7))  # a day late
    refused = entry(n1, category=gambling, outcome="refused", outcome_at=at(10, 5, 12))
    Rebuttal.objects.create(
        notice_item=refused, received_at=at(10, 5, 12), reasons="r", recorded_by=liaison, decision="withdrawn"
    )
    n2 = notice(telegram_case, sent=at(11, 1), hours=24, status=Notice.Status.SENT, step=second_step)
    entry(n2, category=gambling)  # unanswered, its deadline past: overdue now
    # 30 September 17:00 UTC is 1 October 00:00 in Jakarta: inside the period.
    n3 = notice(telegram_case, sent=at(9, 30, 17), hours=24, status=Notice.Status.ANSWERED, answered=at(10, 1, 1))
    entry(n3, category=gambling, outcome="removed", outcome_at=at(10, 1, 1))
    # One minute earlier in UTC is 30 September in Jakarta: outside.
    n0 = notice(telegram_case, sent=at(9, 30, 16, 59), hours=24, status=Notice.Status.ANSWERED, answered=at(10, 1))
    entry(n0, category=gambling, outcome="removed", outcome_at=at(10, 1))
    n4 = notice(other_case, sent=at(10, 10), hours=24, status=Notice.Status.LAPSED)
    entry(n4, category=terrorism)
    Sanction.objects.create(
        case=telegram_case, notice=n2, amount=1000, imposed_at=at(11, 15), state=Sanction.State.PAID
    )
    Sanction.objects.create(case=telegram_case, amount=1000, imposed_at=at(9, 1))

    isp_x, isp_y = ISPFactory(name="ISP X"), ISPFactory(name="ISP Y")
    supervisor = make_user("supervisor")
    orders = iter(range(1, 100))

    def order(*, issued, ended=None, kind=BlockOrder.Kind.BLOCK):
        return BlockOrder.objects.create(
            reference=f"O-{next(orders)}",
            kind=kind,
            status=BlockOrder.Status.LIFTED if ended else BlockOrder.Status.IN_FORCE,
            justification="j",
            legal_basis="l",
            effective_at=issued,
            proposed_by=supervisor,
            issued_at=issued,
            ended_at=ended,
        )

    def recipient(of, isp, *, acknowledged=None, implemented=None, reminders=0):
        issued = of.issued_at
        return OrderRecipient.objects.create(
            order=of,
            isp=isp,
            acknowledge_due_at=issued + timedelta(hours=6),
            implement_due_at=issued + timedelta(hours=24),
            acknowledged_at=acknowledged,
            implemented_at=implemented,
            reminders_sent=reminders,
        )

    o1 = order(issued=at(10, 20))
    recipient(o1, isp_x, acknowledged=at(10, 20, 6), implemented=at(10, 21, 5), reminders=1)  # ack on the dot
    lifted_recipient = recipient(o1, isp_y, acknowledged=at(10, 20, 9), implemented=at(10, 20, 12))
    o2 = order(issued=at(11, 10), ended=at(11, 10, 2))  # lifted before anyone acknowledged
    recipient(o2, isp_x)
    recipient(o2, isp_y)
    o3 = order(issued=at(11, 20))
    recipient(o3, isp_x)  # never acknowledged, still in force: missed
    for result, when in [("compliant", at(10, 22)), ("compliant", at(11, 2)), ("non_compliant", at(11, 3))]:
        ComplianceCheck.objects.create(
            isp=isp_x, resolver="r", name="t.me", expected="blocked", result=result, serial=1, checked_at=when
        )
    ComplianceCheck.objects.create(
        isp=isp_x, resolver="r", name="t.me", expected="blocked", result="error", serial=1, checked_at=at(11, 4)
    )
    ComplianceCheck.objects.create(
        isp=isp_x, resolver="r", name="t.me", expected="blocked", result="compliant", serial=1, checked_at=at(9, 4)
    )
    ComplianceAlert.objects.create(
        recipient=lifted_recipient, problem="still_blocking", first_seen_at=at(11, 5), last_seen_at=at(11, 5)
    )
    ItemImport.objects.create(
        created_by=analyst, source_name="f.csv", stored_path="x", total_rows=10, imported_count=7, rejected_count=3
    )
    return {"telegram": telegram, "isp_x": isp_x, "isp_y": isp_y}


def by_key(rows):
    return {row["key"]: row for row in rows}


def test_platform_figures_counted_by_hand(world):
    rows = by_key(figures.platform_figures(Q4))
    telegram = rows["telegram"]
    assert {key: telegram[key] for key in ("notices", "items", "answered", "answered_in_time")} == {
        "notices": 3,
        "items": 5,
        "answered": 4,
        "answered_in_time": 3,  # the answer exactly at the deadline, the refusal and n3's removal
    }
    assert (telegram["removed"], telegram["removed_in_time"], telegram["refused"]) == (3, 2, 1)
    assert telegram["removed_share"] == pytest.approx(3 / 5)
    assert telegram["in_time_share"] == pytest.approx(2 / 5)
    # Answers after 8 h, 12 h, 24 h, 48 h: median 18 h; 90th percentile 24 h + 0.7 x 24 h.
    assert telegram["answer_p50"] == pytest.approx(18 * HOUR)
    assert telegram["answer_p90"] == pytest.approx(40.8 * HOUR)
    # Removals after 8 h, 24 h, 48 h.
    assert telegram["removal_p50"] == pytest.approx(24 * HOUR)
    assert telegram["removal_p90"] == pytest.approx(43.2 * HOUR)
    assert (telegram["rebuttals_upheld"], telegram["rebuttals_withdrawn"]) == (0, 1)
    assert telegram["overdue_now"] == 1
    assert telegram["highest_step"] == Notice.objects.get(reference="N-2").step.position
    assert (telegram["sanctions_imposed"], telegram["sanctions_paid"]) == (1, 1)
    other = rows["other"]
    assert (other["notices"], other["items"], other["answered"], other["removed_share"]) == (1, 1, 0, 0.0)
    assert other["answer_p50"] is None and other["overdue_now"] == 0  # lapsed is not overdue: it escalated


def test_platform_figures_by_category_and_urgency(world):
    rows = by_key(figures.platform_figures(Q4, "category"))
    assert (rows["terrorism"]["notices"], rows["terrorism"]["items"], rows["terrorism"]["removed"]) == (2, 3, 2)
    assert (rows["gambling"]["notices"], rows["gambling"]["items"], rows["gambling"]["removed"]) == (3, 3, 1)
    assert rows["gambling"]["rebuttals_withdrawn"] == 1 and rows["gambling"]["sanctions_imposed"] == 0
    urgent = by_key(figures.platform_figures(Q4, "urgency"))["urgent"]
    assert (urgent["notices"], urgent["items"], urgent["sanctions_imposed"]) == (4, 6, 1)


def test_isp_figures_counted_by_hand(world):
    rows = by_key(figures.isp_figures(Q4))
    x, y = rows[world["isp_x"].pk], rows[world["isp_y"].pk]
    assert (x["orders"], x["acknowledged"], x["acknowledge_due"], x["acknowledged_in_time"]) == (3, 1, 2, 1)
    assert x["acknowledged_in_time_share"] == pytest.approx(0.5)
    assert (x["implemented"], x["implement_due"], x["implemented_in_time"]) == (1, 2, 0)
    assert x["acknowledge_p50"] == pytest.approx(6 * HOUR) and x["implement_p50"] == pytest.approx(29 * HOUR)
    assert x["reminded"] == 1
    assert (x["checks_passed"], x["checks_failed"], x["checks_unanswered"]) == (2, 1, 1)
    assert x["checks_passed_share"] == pytest.approx(2 / 3)
    # The order lifted two hours after issue is not held against Y: one acknowledgement due, not two.
    assert (y["orders"], y["acknowledge_due"], y["acknowledged_in_time"]) == (2, 1, 0)
    assert (y["implement_due"], y["implemented_in_time"], y["implemented_in_time_share"]) == (1, 1, 1.0)
    assert y["still_blocking_after_lift"] == 1 and y["checks_passed_share"] is None


def test_work_figures_and_trends(world):
    FlaggedItemFactory(source=FlaggedItem.Source.PUBLIC_COMPLAINT, logged_at=at(11, 30), status="new")
    FlaggedItemFactory(source=FlaggedItem.Source.PUBLIC_COMPLAINT, logged_at=at(9, 30, 16), status="new")  # 29 Sept
    work = figures.work_figures(Q4)
    assert work["logged"] == 8  # the seven noticed items, logged 2 October, and one complaint
    assert work["by_source"][0] == {"key": "patrol", "label": "patrol", "items": 7}
    assert work["by_source"][1]["items"] == 1
    # Every item here is new (the factories' default) and so unverified: 9, the oldest logged 29 September.
    assert work["backlog"] == 9
    assert work["backlog_oldest_age"] == (NOW - at(9, 30, 16)).total_seconds()
    assert work["backlog_median_age"] == (NOW - at(10, 2)).total_seconds()
    assert work["imports"] == {"count": 1, "rows": 10, "imported": 7, "merged": 0, "rejected": 3}
    assert work["open_notices"] == [{"owner": "lia", "open": 1, "overdue": 1}]
    monthly = {row["starts"].month: row for row in figures.trends(Q4, "month")}
    assert [monthly[month]["notices_sent"] for month in (10, 11, 12)] == [3, 1, 0]  # n3 counts in October
    assert [monthly[month]["items_removed"] for month in (10, 11, 12)] == [4, 0, 0]  # n0's removal too
    assert [monthly[month]["orders_issued"] for month in (10, 11, 12)] == [1, 2, 0]
    weekly = figures.trends(Q4, "week")
    assert weekly[0]["starts"] == datetime(2026, 9, 28).date() and len(weekly) == 14
    assert sum(row["notices_sent"] for row in weekly) == 4


def test_percentile_in_python_matches_postgresql_definition():
    assert figures.percentile_cont([], 0.5) is None
    assert figures.percentile_cont([5.0], 0.9) == 5.0
    assert figures.percentile_cont([4, 1, 3, 2], 0.5) == 2.5
    assert figures.percentile_cont([1, 2, 3, 4], 0.9) == pytest.approx(3.7)


def test_period_is_whole_local_days_and_refuses_nonsense(frozen):
    period = period_from({"from": "2026-10-01", "to": "2026-12-31"}, JAKARTA)
    assert period.start == datetime(2026, 9, 30, 17, tzinfo=UTC)
    assert period.end == datetime(2026, 12, 31, 17, tzinfo=UTC)
    assert period_from({"preset": "last-quarter"}, JAKARTA).first_day.isoformat() == "2026-07-01"
    assert period_from({}, JAKARTA).as_params() == {"from": "2026-10-01", "to": "2026-12-05"}
    for params, field in [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-10-02", "to": "2026-10-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "to"),
        ({"preset": "forever"}, "preset"),
    ]:
        with pytest.raises(DomainError) as refused:
            period_from(params, JAKARTA)
        assert field in refused.value.fields


def test_compose_holds_every_table(world):
    report = compose(Q4)
    assert report["interval"] == "week" and report["group_by"] == "platform"
    assert report["period"] == {"from": Q4.first_day, "to": Q4.last_day, "time_zone": "Asia/Jakarta"}
    assert {row["key"] for row in report["platforms"]} == {"telegram", "other"}
    assert timezone.is_aware(report["computed_at"])
