"""The figures at the size of a national year: 1,000,000 items, 100,000 notices (200,000 notice items) and
10,000 block orders to 3 ISPs each, spread over 2026. Prints the figures page (HTML, with its tables), the API
and each aggregate behind them, beside the one raw aggregate query of the platform table.

Sizes shrink with BENCH_ITEMS (the notices and orders scale with it). Target (issue 15): the reporting pages
in under a second. Run with `make bench` against PostgreSQL (DATABASE_URL).
"""

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.template.base import Template
from django.test import Client
from django.test.utils import _TestState

from blocking.models import BlockOrder, OrderRecipient
from notices.models import Notice, NoticeItem
from tests.bench.test_list_bench import copy_rows, load_items, median_ms
from tests.factories import CaseFactory, PlatformFactory, api_token, make_user
from tests.factories_blocking import ISPFactory
from tests.factories_notices import ladder
from tests.services import require_postgresql
from tracker.items.models import FlaggedItem
from tracker.reports import figures
from tracker.reports.periods import period_from

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

ITEMS = int(os.environ.get("BENCH_ITEMS", "1000000"))
NOTICES = ITEMS // 10
ORDERS = ITEMS // 100
YEAR_START = "TIMESTAMPTZ '2026-01-01 00:00+00'"


def load_year() -> None:
    load_items(ITEMS)
    policy = ladder()
    step = policy.steps.order_by("position").first()
    platforms = [PlatformFactory(slug=f"platform-{n}", name=f"Platform {n}") for n in range(8)]
    cases = [CaseFactory(platform=platform) for platform in platforms]
    prototype = Notice.objects.create(
        reference="B-0", case=cases[0], step=step, status="answered", urgency="urgent", subject="s", body="b",
        legal_basis="l", sent_at=datetime(2026, 1, 1, tzinfo=UTC), deadline_at=datetime(2026, 1, 2, tzinfo=UTC),
    )  # fmt: skip
    case_ids = "ARRAY[" + ",".join(str(case.pk) for case in cases) + "]"
    sent = f"{YEAR_START} + n * INTERVAL '{int(360 * 86400 / NOTICES)} seconds'"
    copy_rows(
        Notice,
        prototype.pk,
        {
            "reference": "'B-' || n",
            "case_id": f"({case_ids})[1 + n %% {len(cases)}]",
            "status": "(ARRAY['answered', 'sent', 'lapsed', 'answered'])[1 + n %% 4]",
            "sent_at": sent,
            "prepared_at": sent,
            "deadline_at": f"{sent} + INTERVAL '24 hours'",
            "answered_at": f"{sent} + (n %% 48) * INTERVAL '1 hour'",
        },
        "generate_series(1, %s) AS n",
        [NOTICES - 1],
    )
    item = FlaggedItem.objects.order_by("id").first()
    first = NoticeItem.objects.create(
        notice=prototype, item=item, canonical=item.canonical, display=item.display, category="terrorism",
        legal_basis="l", urgency="urgent",
    )  # fmt: skip
    # Two items per notice after the prototype; outcomes and answer times vary with the row number.
    copy_rows(
        NoticeItem,
        first.pk,
        {
            "notice_id": "t.id",
            "item_id": "i.id",
            "canonical": "i.canonical",
            "display": "i.display",
            "category": "(ARRAY['terrorism', 'gambling', 'pornography'])[1 + i.rn %% 3]",
            "urgency": "(ARRAY['urgent', 'normal'])[1 + i.rn %% 2]",
            "outcome": "(ARRAY['removed', 'restricted', 'refused', '', 'removed'])[1 + i.rn %% 5]",
            "outcome_at": "CASE WHEN i.rn %% 5 = 3 THEN NULL ELSE t.sent_at + (i.rn %% 60) * INTERVAL '1 hour' END",
        },
        "(SELECT n.id, n.sent_at, 2 * n.rn + k AS target FROM (SELECT id, sent_at, row_number() OVER (ORDER BY id) "
        "AS rn FROM notices_notice WHERE reference <> 'B-0') n, generate_series(1, 2) AS k) t "
        "JOIN (SELECT id, canonical, display, row_number() OVER (ORDER BY id) AS rn FROM tracker_flaggeditem) i "
        "ON i.rn = t.target",
        [],
    )
    supervisor = make_user("supervisor")
    isps = [ISPFactory(name=f"ISP {n}") for n in range(3)]
    order = BlockOrder.objects.create(
        reference="BO-0", status="in_force", justification="j", legal_basis="l", proposed_by=supervisor,
        effective_at=datetime(2026, 1, 1, tzinfo=UTC), issued_at=datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    issued = f"{YEAR_START} + n * INTERVAL '{int(360 * 86400 / ORDERS)} seconds'"
    copy_rows(
        BlockOrder,
        order.pk,
        {"reference": "'BO-' || n", "issued_at": issued, "effective_at": issued},
        "generate_series(1, %s) AS n",
        [ORDERS - 1],
    )
    recipient = OrderRecipient.objects.create(
        order=order, isp=isps[0], acknowledge_due_at=order.issued_at + timedelta(hours=6),
        implement_due_at=order.issued_at + timedelta(hours=24),
    )  # fmt: skip
    copy_rows(
        OrderRecipient,
        recipient.pk,
        {
            "order_id": "o.id",
            "isp_id": "s.id",
            "acknowledge_due_at": "o.issued_at + INTERVAL '6 hours'",
            "implement_due_at": "o.issued_at + INTERVAL '24 hours'",
            "acknowledged_at": "o.issued_at + ((o.id + s.id) %% 10) * INTERVAL '1 hour'",
            "implemented_at": "o.issued_at + ((o.id * s.id) %% 40) * INTERVAL '1 hour'",
        },
        "(SELECT id, issued_at FROM blocking_blockorder WHERE reference <> 'BO-0') o "
        "CROSS JOIN (SELECT id FROM blocking_isp WHERE id = ANY(%s)) s",
        [[isp.pk for isp in isps]],
    )


RAW_PLATFORM_TABLE = """
SELECT c.platform_id, count(DISTINCT ni.notice_id), count(*),
       count(*) FILTER (WHERE ni.outcome IN ('removed', 'restricted')),
       count(*) FILTER (WHERE ni.outcome IN ('removed', 'restricted') AND ni.outcome_at <= n.deadline_at),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM ni.outcome_at - n.sent_at))
FROM notices_noticeitem ni JOIN notices_notice n ON n.id = ni.notice_id JOIN tracker_case c ON c.id = n.case_id
WHERE n.sent_at >= %s AND n.sent_at < %s
GROUP BY c.platform_id
"""


def test_figures_of_a_national_year(monkeypatch):
    require_postgresql()
    monkeypatch.setattr(Template, "_render", _TestState.saved_data.template_render)
    started = time.perf_counter()
    load_year()
    loaded = time.perf_counter() - started
    print(
        f"\nloaded {ITEMS:,} items, {NOTICES:,} notices ({NoticeItem.objects.count():,} notice items), "
        f"{ORDERS:,} orders ({OrderRecipient.objects.count():,} ISP deliveries) in {loaded:.0f} s"
    )
    reader = make_user("supervisor")
    page = Client()
    page.force_login(reader)
    api = Client(HTTP_AUTHORIZATION=f"Token {api_token(reader)}")
    year = {"from": "2026-01-01", "to": "2026-12-31"}
    period = period_from(year)

    def get(client, url, params):
        def call():
            response = client.get(url, params)
            assert response.status_code == 200, response.content[:300]

        return call

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(RAW_PLATFORM_TABLE, [period.start, period.end])
            assert len(cursor.fetchall()) == 8

    rows = figures.platform_figures(period)
    assert sum(row["items"] for row in rows) == NoticeItem.objects.count()
    cases = [
        ("figures page (HTML, the year)", get(page, "/figures/", year)),
        ("figures API (JSON, the year)", get(api, "/api/v1/figures/", year)),
        ("platform table", lambda: figures.platform_figures(period)),
        ("ISP table", lambda: figures.isp_figures(period)),
        ("work figures", lambda: figures.work_figures(period)),
        ("monthly trends", lambda: figures.trends(period, "month")),
        ("one chart (SVG)", get(page, "/figures/charts/trends.svg", {**year, "interval": "month"})),
    ]
    timed = median_ms(raw, *[call for _name, call in cases])
    raw_ms, rest = timed[0], timed[1:]
    print(f"\n{'figures of a national year':<34} {'ms':>9} {'x raw query':>12}")
    print(f"{'raw aggregate (platform table)':<34} {raw_ms:>9.1f} {1:>11.2f}x")
    for (name, _call), spent in zip(cases, rest, strict=True):
        print(f"{name:<34} {spent:>9.1f} {spent / raw_ms:>11.2f}x")
    print("target: the reporting pages in under 1,000 ms")
