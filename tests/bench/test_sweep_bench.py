"""The escalation sweep at scale: 1,000,000 open notices of which 1% are due.

Measured, and printed (asserted only where the issue sets a hard rule):
1. one sweep as the beat runs it (`run_sweep()`: the default batch NOTICES_SWEEP_BATCH and time budget), which
   hands out every due notice, at 100,000 and at 1,000,000 open notices: its time (target < 10 s) and its
   query count at both sizes. The count is O(due / batch), not O(open): each committed batch is a few
   statements, so 1,000 due take one batch and 10,000 due two (and one empty claim that finds the end);
2. a sweep with nothing due at both sizes (target < 0.1 s, the same queries);
3. doing the work: `advance_notice` (each due notice lapses and sends the next ladder step), as the
   `notices.advance_notices` task runs it, on a sample of the due notices (BENCH_ADVANCE_SAMPLE, 1,000): queries
   and milliseconds per notice, how long the year's reference counter stays locked, a profile of part of the
   sample, and two worker processes beside one, to show whether the work scales out;
4. (`test_ten_thousand_lapses_by_two_celery_workers`) 10,000 due notices that each lapse and send the next step,
   handed out by one sweep to two real Celery worker processes (set-wise `notices.advance_notices`, then
   `notices.send_deliveries`) against PostgreSQL, Redis and a loopback SMTP server: the time until every next
   step is committed and until every email is accepted (target < 30 s, printed), each email accepted exactly once
   (asserted); beside them, in this process, the per-notice path and the set-wise one on samples of their own
   (queries and ms per notice, the reference row's lock), and one email sent alone and in a batch.
   BENCH_LAPSES shrinks it.

The rows are written with INSERT ... SELECT generate_series from template rows that the real services
made (one case, item, notice, notice item and delivery), so every column the models have is filled as
they fill it. Each due notice has a case and an item of its own, as in life (one ladder per case); the
990,000 others share a few cases and items, which the sweep never reads. Deliveries carry a short
placeholder instead of a real message. No task reaches the broker: the queued ids are counted instead.
BENCH_NOTICES=100000 (say) shrinks it; the smaller size is always a tenth. Run with `make bench`
against PostgreSQL (DATABASE_URL); the test database is emptied at the end.
"""

import cProfile
import io
import logging
import multiprocessing
import os
import pstats
import statistics
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notices import delivery, lapses, notifications, references, sending, sweep, tasks
from notices.models import Delivery, DeliveryAttempt, Notice, NoticeItem, Notification
from tests.factories import CaseFactory, make_user
from tests.factories_notices import case_with_items
from tests.services import require_postgresql
from tracker.cases.models import Case, CaseItem
from tracker.core.audit import audit_context
from tracker.core.models import AuditEntry
from tracker.items.models import FlaggedItem

pytestmark = [pytest.mark.bench, pytest.mark.django_db(transaction=True)]

NOTICES = int(os.environ.get("BENCH_NOTICES", "1000000"))
SMALL = NOTICES // 10
DUE_EVERY = 100  # notice g is due when g % 100 == 0: 1%
FILLER_CASES = 20
FILLER_ITEMS = 1000
# Explicit ids keep the rows of notice g, its case and its item in step; the sequences are reset after.
CASE_BASE, ITEM_BASE, NOTICE_BASE = 10_000_000, 10_000_000, 10_000_000
FILLER_CASE_BASE, FILLER_ITEM_BASE = 9_000_000, 9_000_000
# The due notices advanced: a tenth under the profiler, three tenths timed in this process (with the reference
# lock measured), two tenths by one worker process, four tenths by two worker processes side by side.
ADVANCE_SAMPLE = int(os.environ.get("BENCH_ADVANCE_SAMPLE", "1000"))


def q(name: str) -> str:
    return connection.ops.quote_name(name)


def copy_rows(model, template_pk: int, first: int, last: int, overrides: dict[str, str], where: str = "") -> int:
    """Copies of one template row for g = first..last; `overrides` gives SQL expressions (in g) per column."""
    table = model._meta.db_table
    columns = [field.column for field in model._meta.concrete_fields if overrides.get(field.column, "") is not None]
    exprs = [overrides.get(column) or f"t.{q(column)}" for column in columns]
    sql = (
        f"INSERT INTO {q(table)} ({', '.join(q(c) for c in columns)}) "  # noqa: S608 - names from the model
        f"SELECT {', '.join(exprs)} FROM {q(table)} t, generate_series(%(first)s, %(last)s) g "
        f"WHERE t.id = %(template)s {where}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"first": first, "last": last, "template": template_pk, "t": NOW})
        return cursor.rowcount


def reset_sequences(*models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            maximum = f"SELECT max(id) FROM {q(table)}"  # noqa: S608 - names from the model
            cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), ({maximum}))", [table])


NOW = None  # the instant the sweep runs at (T); set by the test


class Templates:
    """The rows the services made, which the fill copies."""

    def __init__(self, officer):
        case, (item,) = case_with_items(count=1, urgency="urgent")
        notice = sending.send_notice(case=case, actor=officer, now=NOW - timedelta(hours=5))
        self.case, self.item, self.notice = case, item, notice
        self.notice_item = NoticeItem.objects.get(notice=notice)
        self.case_item = CaseItem.objects.get(case=case, item=item)
        self.delivery = Delivery.objects.get(notice=notice)
        # The templates themselves are neither due nor open.
        Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.ANSWERED, next_action_at=None)
        Delivery.objects.filter(pk=self.delivery.pk).update(state=Delivery.State.SENT, next_attempt_at=None)
        FlaggedItem.objects.filter(pk=item.pk).update(status=FlaggedItem.Status.REMOVED)
        filler_case = CaseFactory(platform=case.platform, owner=case.owner)
        copy_rows(Case, filler_case.pk, 1, FILLER_CASES, {"id": f"{FILLER_CASE_BASE} + g"})
        copy_rows(
            FlaggedItem,
            item.pk,
            1,
            FILLER_ITEMS,
            {
                "id": f"{FILLER_ITEM_BASE} + g",
                "canonical": "'https://bench.example/filler/' || g",
                "display": "'https://bench.example/filler/' || g",
                "status": "'in_notice'",
            },
        )


def fill(templates: Templates, first: int, last: int, every: int = DUE_EVERY) -> None:
    """Open notices g = first..last; every hundredth (`every`-th) is due (deadline lapsed), with its own case
    and item."""
    due = f"AND mod(g, {every}) = 0"
    t = templates
    copy_rows(Case, t.case.pk, first, last, {"id": f"{CASE_BASE} + g", "title": "'bench case ' || g"}, due)
    copy_rows(
        FlaggedItem,
        t.item.pk,
        first,
        last,
        {
            "id": f"{ITEM_BASE} + g",
            "canonical": "'https://bench.example/due/' || g",
            "display": "'https://bench.example/due/' || g",
            "status": "'in_notice'",
        },
        due,
    )
    copy_rows(
        CaseItem,
        t.case_item.pk,
        first,
        last,
        {"id": None, "case_id": f"{CASE_BASE} + g", "item_id": f"{ITEM_BASE} + g"},
        due,
    )
    # Due: an urgent first notice sent 4 h before its deadline, which lapsed in the hour before T.
    deadline = "%(t)s - make_interval(secs => 1 + mod(g / 100, 3600))"
    copy_rows(
        Notice,
        t.notice.pk,
        first,
        last,
        {
            "id": f"{NOTICE_BASE} + g",
            "reference": "'BD/' || g",
            "case_id": f"{CASE_BASE} + g",
            "status": "'sent'",
            "deadline_at": deadline,
            "sent_at": f"{deadline} - interval '4 hours'",
            "prepared_at": f"{deadline} - interval '4 hours'",
            "owner_reminders_done": "2",
            "next_action_at": deadline,
        },
        due,
    )
    # Not due: normal notices sent in the last 20 h with 24 h to answer; the owner's 2 h reminder is ahead.
    sent = "%(t)s - make_interval(mins => 1 + mod(g, 1200))"
    copy_rows(
        Notice,
        t.notice.pk,
        first,
        last,
        {
            "id": f"{NOTICE_BASE} + g",
            "reference": "'BN/' || g",
            "case_id": f"{FILLER_CASE_BASE} + 1 + mod(g, {FILLER_CASES})",
            "status": "'sent'",
            "urgency": "'normal'",
            "sent_at": sent,
            "prepared_at": sent,
            "deadline_at": f"{sent} + interval '24 hours'",
            "owner_reminders_done": "1",
            "next_action_at": f"{sent} + interval '22 hours'",
        },
        f"AND mod(g, {every}) <> 0",
    )
    copy_rows(
        NoticeItem,
        t.notice_item.pk,
        first,
        last,
        {
            "id": None,
            "notice_id": f"{NOTICE_BASE} + g",
            "item_id": f"CASE WHEN mod(g, {every}) = 0 THEN {ITEM_BASE} + g "
            f"ELSE {FILLER_ITEM_BASE} + 1 + mod(g, {FILLER_ITEMS}) END",
        },
    )
    copy_rows(
        Delivery,
        t.delivery.pk,
        first,
        last,
        {
            "id": None,
            "notice_id": f"{NOTICE_BASE} + g",
            "message_id": "'<bench.' || g || '@tracker.invalid>'",
            "raw_message": "convert_to('placeholder', 'UTF8')",
            "state": "'sent'",
            "next_attempt_at": "NULL",
        },
    )
    reset_sequences(Case, FlaggedItem, Notice)
    with connection.cursor() as cursor:
        for model in (Case, FlaggedItem, CaseItem, Notice, NoticeItem, Delivery):
            cursor.execute(f"ANALYZE {q(model._meta.db_table)}")


def timed(function, repeat: int = 1):
    """(median seconds, queries of the last run, result of the last run)."""
    seconds = []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = function()
            seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), queries, result


def sweep_queries(due: int, batch: int) -> int:
    """What run_sweep costs in statements: 4 per batch of notices claimed, 3 for the empty claim that ends the
    notices (unless the last batch was short), and 3 for the deliveries (none is stale here)."""
    full, rest = divmod(due, batch)
    return 4 * full + (4 if rest else 3) + 3


def measure_sweeps(size: int) -> dict:
    empty_seconds, empty_queries, empty = timed(lambda: tasks.run_sweep(now=NOW - timedelta(hours=2)), repeat=5)
    assert empty == {"notices": [], "deliveries": []}
    due = Notice.objects.filter(next_action_at__lte=NOW).count()
    runs = []
    for _ in range(3):
        runs.append(timed(lambda: tasks.run_sweep(now=NOW)))
        with connection.cursor() as cursor:  # back to due, for the next run and the next size
            cursor.execute(
                f"UPDATE {q(Notice._meta.db_table)} SET next_action_at = deadline_at WHERE id = ANY(%s)",  # noqa: S608
                [runs[-1][2]["notices"]],
            )
    seconds = statistics.median(run[0] for run in runs)
    queries, result = runs[-1][1], runs[-1][2]
    batch = settings.NOTICES_SWEEP_BATCH
    batches = -(-len(result["notices"]) // batch)
    print(
        f"{size:>9,} open, {due:>6,} due | sweep: {seconds * 1000:7.1f} ms, {len(queries)} queries, "
        f"{len(result['notices']):,} notices handed out in {batches} batch(es) of at most {batch:,} | "
        f"nothing due: {empty_seconds * 1000:6.2f} ms, {len(empty_queries)} queries"
    )
    assert sorted(result["notices"]) == sorted(set(result["notices"])) and len(result["notices"]) == due
    return {
        "due": due,
        "seconds": seconds,
        "count": len(queries),
        "empty_seconds": empty_seconds,
        "empty_count": len(empty_queries),
        "empty_queries": empty_queries.captured_queries,
    }


LOCKS = []  # (seconds the year's reference row was held, seconds the notice's transaction took)
_allocated = []


def advance(notice_id: int) -> str:
    """What the advance_notice task does, at the sweep's instant."""
    started = time.perf_counter()
    with audit_context(AuditEntry.Source.TASK, actor_label=sweep.SWEEP_LABEL):
        outcome = lapses.advance_notice(notice_id=notice_id, now=NOW)
    finished = time.perf_counter()
    if _allocated:  # the reference row stays locked from its allocation until the transaction commits
        LOCKS.append((finished - _allocated.pop(), finished - started))
        _allocated.clear()
    return outcome


def allocate_reference_timed(at, *, original=references.allocate_reference):
    _allocated.append(time.perf_counter())
    return original(at)


def _worker(ids, results):
    connections.close_all()  # a forked process must not share the parent's connection
    started = time.perf_counter()
    outcomes = tasks.advance_notices(ids)  # the task's body, as a Celery worker runs it (at its own now)
    results.put((time.perf_counter() - started, outcomes.count("sent")))
    connections.close_all()


def in_processes(chunks: list[list[int]]) -> tuple[float, int]:
    """Process each chunk in its own forked worker process; (wall seconds, notices sent)."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    connections.close_all()
    started = time.perf_counter()
    workers = [context.Process(target=_worker, args=(chunk, results)) for chunk in chunks]
    for worker in workers:
        worker.start()
    done = [results.get(timeout=900) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    return time.perf_counter() - started, sum(sent for _seconds, sent in done)


def test_one_sweep_over_a_million_open_notices(monkeypatch):
    require_postgresql()
    global NOW
    NOW = timezone.now().replace(microsecond=0)
    queued = Counter()
    # No broker: count what would have been queued after each commit.
    monkeypatch.setattr(tasks.advance_notices, "delay", lambda ids: queued.update(advance_tasks=1, advance=len(ids)))
    monkeypatch.setattr(delivery, "enqueue", lambda ids: queued.update(deliveries=len(ids)))
    monkeypatch.setattr(delivery, "enqueue_batches", lambda ids: queued.update(deliveries=len(ids)))
    monkeypatch.setattr(notifications, "_queue_notification_email", lambda pk: queued.update(notifications=1))
    monkeypatch.setattr(notifications, "_queue_notification_emails", lambda ids: queued.update(notifications=len(ids)))
    monkeypatch.setattr(sending, "allocate_reference", allocate_reference_timed)
    officer = make_user("liaison_officer")
    templates = Templates(officer)
    batch, budget = settings.NOTICES_SWEEP_BATCH, settings.NOTICES_SWEEP_BUDGET_SECONDS

    print(
        f"\nthe sweep at T = {NOW.isoformat()}, batch {batch:,}, budget {budget:g} s, 1 notice in {DUE_EVERY} due "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    sizes = {}
    for first, last in ((1, SMALL), (SMALL + 1, NOTICES)):
        started = time.perf_counter()
        fill(templates, first, last)
        print(f"(filled notices {first:,}-{last:,} in {time.perf_counter() - started:.0f} s)")
        sizes[last] = measure_sweeps(last)
    small, large = sizes[SMALL], sizes[NOTICES]
    print(
        f"{NOTICES:,} / {SMALL:,} open: sweep time x{large['seconds'] / small['seconds']:.2f} for "
        f"x{large['due'] / small['due']:.0f} the due notices, empty sweep time "
        f"x{large['empty_seconds'] / small['empty_seconds']:.2f}; queries {small['count']} -> {large['count']} "
        f"(O(due / batch): a batch is 4 statements, the empty claim that ends the notices and the deliveries' "
        f"claim 3 each) and {small['empty_count']} -> {large['empty_count']} with nothing due"
    )
    sql, params = (
        Notice.objects.filter(next_action_at__lte=NOW).order_by("next_action_at").values_list("pk")[:batch]
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = [row[0].strip() for row in cursor.fetchall()]
    print("claim plan: " + " | ".join(plan[:6]))
    for query in small["empty_queries"]:
        print(f"  empty sweep query: {query['sql'][:150]}")
    for size in (small, large):
        assert size["count"] == sweep_queries(size["due"], batch)
    assert small["empty_count"] == large["empty_count"]
    assert large["seconds"] < 10 and large["empty_seconds"] < 0.1
    assert "notice_next_action" in " ".join(plan)

    # Hand out the due work once more, as the beat would, and queue it in tasks of ADVANCE_BATCH.
    queued.clear()
    claimed = tasks.run_sweep(now=NOW)["notices"]
    due_total = NOTICES // DUE_EVERY
    assert len(claimed) == len(set(claimed)) == due_total
    print(
        f"one sweep queued {queued['advance_tasks']:,} notices.advance_notices tasks of at most "
        f"{tasks.ADVANCE_BATCH} ({queued['advance']:,} notices)"
    )

    # The work, on a sample: each notice lapses and its next ladder step is sent, one transaction per notice.
    sample_size = min(ADVANCE_SAMPLE, due_total)
    sample = claimed[:sample_size]
    tenth = sample_size // 10
    profiled, timed_here = sample[:tenth], sample[tenth : 4 * tenth]
    one, two = sample[4 * tenth : 6 * tenth], sample[6 * tenth :]
    queued.clear()
    profiler = cProfile.Profile()
    with CaptureQueriesContext(connection) as sample_queries:
        started = time.perf_counter()
        profiler.enable()
        outcomes = [advance(notice_id) for notice_id in profiled]
        profiler.disable()
        profiled_seconds = time.perf_counter() - started
    assert outcomes == ["sent"] * len(profiled)
    sql_seconds = sum(float(query["time"]) for query in sample_queries.captured_queries)
    per_notice = len(sample_queries) / len(profiled)
    LOCKS.clear()
    started = time.perf_counter()
    outcomes = [advance(notice_id) for notice_id in timed_here]
    here_seconds = time.perf_counter() - started
    assert outcomes == ["sent"] * len(timed_here)
    held = statistics.median(lock for lock, _total in LOCKS)
    total = statistics.median(total for _lock, total in LOCKS)
    one_seconds, one_sent = in_processes([one])
    two_seconds, two_sent = in_processes([two[::2], two[1::2]])
    assert one_sent == len(one) and two_sent == len(two)
    rate, one_rate, two_rate = len(timed_here) / here_seconds, len(one) / one_seconds, len(two) / two_seconds
    print(
        f"advance_notice on a sample of {sample_size:,} of the {due_total:,} due notices "
        f"(each lapses and sends the next step):"
    )
    print(
        f"  {per_notice:.1f} queries per notice; in this process {len(timed_here):,} notices in {here_seconds:.1f} s, "
        f"{rate:,.0f} notices/s, {1000 / rate:.1f} ms each; all {due_total:,} would take one worker "
        f"{due_total / rate:.0f} s"
    )
    print(
        f"  under the profiler ({len(profiled)} notices) SQL took {sql_seconds / profiled_seconds:.0%} of the time "
        f"({sql_seconds * 1000 / len(profiled):.1f} ms per notice)"
    )
    print(
        f"  the notices.advance_notices task's body (set-wise, one batch a process): one worker process "
        f"{one_rate:,.0f} notices/s; two worker processes: {two_rate:,.0f} notices/s "
        f"(x{two_rate / one_rate:.2f}; {os.cpu_count()} CPUs, shared with PostgreSQL)"
    )
    print(
        f"  the year's reference counter row is locked for {held * 1000:.1f} ms of the {total * 1000:.1f} ms a notice "
        f"takes (median, {held / total:.0%}): however many workers, at most {1 / held:,.0f} notices/s"
    )
    print(
        f"  written: {Notice.objects.filter(previous__isnull=False).count():,} follow-up notices, "
        f"{Delivery.objects.filter(state=Delivery.State.QUEUED).count():,} deliveries queued for sending "
        f"(this process counted {queued['deliveries']:,} delivery and {queued['notifications']:,} email "
        "tasks queued after commit; none reached a broker)"
    )
    by_statement = {}
    for query in sample_queries.captured_queries:
        statement = " ".join(query["sql"].split())
        statement = (
            statement[:70] + " … " + statement.split(" WHERE ", 1)[-1][:70]
            if " WHERE " in statement
            else statement[:140]
        )
        count, seconds = by_statement.get(statement, (0, 0.0))
        by_statement[statement] = (count + 1, seconds + float(query["time"]))
    print(f"slowest statements of the {len(profiled)} profiled notices (calls, total ms):")
    for statement, (count, seconds) in sorted(by_statement.items(), key=lambda kv: -kv[1][1])[:10]:
        print(f"  {count:5} {seconds * 1000:8.0f} ms  {statement}")
    for key, title in (("cumulative", "cumulative"), ("tottime", "own")):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(key).print_stats(18)
        lines = out.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print(f"profile of the {len(profiled)} profiled notices, by {title} time:")
        print("\n".join(line for line in lines[start:] if line.strip()))

    # Nothing is due at T now: the sample's follow-ups wait for their owner's reminder, the rest are leased.
    empty_seconds, empty_queries, empty = timed(lambda: tasks.run_sweep(now=NOW), repeat=5)
    assert empty == {"notices": [], "deliveries": []}
    print(
        f"sweep again at T after the work: {empty_seconds * 1000:.2f} ms, {len(empty_queries)} queries, nothing due "
        f"({Notice.objects.count():,} notices; load average {os.getloadavg()[0]:.1f})"
    )


# --- 10,000 lapses, set-wise, by two real Celery workers, mailed to a real SMTP server ------------------------

LAPSES = int(os.environ.get("BENCH_LAPSES", "10000"))
# Processed in this process first, on notices of their own: the per-notice path and the set-wise one, queries
# and time per notice, and how long a batch holds the year's reference row.
LAPSE_SAMPLE = int(os.environ.get("BENCH_LAPSE_SAMPLE", "400"))


class counted:
    """Counts the statements run on the connection (CaptureQueriesContext keeps only the last 9,000)."""

    def __enter__(self):
        self.count = 0
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def __len__(self):
        return self.count


def test_ten_thousand_lapses_by_two_celery_workers(monkeypatch, settings, celery_worker_processes):
    """10,000 due notices lapse and each sends the next step, handed out by one `run_sweep()` and done by two
    real `celery worker` processes (notices.advance_notices, set-wise, then notices.send_delivery) against
    PostgreSQL, Redis and a loopback SMTP server. Exactly-once delivery is asserted; the time (target < 30 s)
    is printed."""
    require_postgresql()
    from aiosmtpd.controller import Controller

    from tests.conftest import wait_for
    from tests.smtp_servers import Mailbox, free_port, use_smtp

    global NOW
    NOW = timezone.now().replace(microsecond=0)
    officer = make_user("liaison_officer")
    with monkeypatch.context() as quiet:  # the templates' own mail never reaches a broker
        quiet.setattr(delivery, "enqueue", lambda ids: True)
        quiet.setattr(notifications, "_queue_notification_email", lambda ids: None)
        quiet.setattr(notifications, "_queue_notification_emails", lambda ids: None)
        quiet.setattr(delivery, "enqueue_batches", lambda ids: True)
        templates = Templates(officer)
    total = LAPSES + 2 * LAPSE_SAMPLE
    started = time.perf_counter()
    fill(templates, 1, total, every=1)  # every notice due, each of its own case and item
    print(
        f"\n{LAPSES:,} lapses by two Celery worker processes (filled {total:,} due notices in "
        f"{time.perf_counter() - started:.0f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)"
    )
    due = list(Notice.objects.filter(next_action_at__lte=NOW).order_by("pk").values_list("pk", flat=True))
    assert len(due) == total
    old_sample, new_sample = due[:LAPSE_SAMPLE], due[LAPSE_SAMPLE : 2 * LAPSE_SAMPLE]

    # In this process, no broker: the per-notice path of before, then the set-wise one, on samples of their own.
    held = []
    allocate_block = sending.allocate_references

    def allocate_timed(at, count):
        held.append(time.perf_counter())
        return allocate_block(at, count)

    with monkeypatch.context() as quiet:
        quiet.setattr(delivery, "enqueue", lambda ids: True)
        quiet.setattr(notifications, "_queue_notification_email", lambda ids: None)
        quiet.setattr(notifications, "_queue_notification_emails", lambda ids: None)
        quiet.setattr(delivery, "enqueue_batches", lambda ids: True)
        quiet.setattr(sending, "allocate_references", allocate_timed)
        with audit_context(AuditEntry.Source.TASK, actor_label=sweep.SWEEP_LABEL):
            with counted() as old_queries:
                started = time.perf_counter()
                old = [lapses.advance_notice(notice_id=pk) for pk in old_sample]
                old_seconds = time.perf_counter() - started
            assert old == ["sent"] * len(old_sample)
            locks = []
            with counted() as new_queries:
                started = time.perf_counter()
                for start in range(0, len(new_sample), tasks.ADVANCE_BATCH):
                    outcomes = tasks.advance_notices(new_sample[start : start + tasks.ADVANCE_BATCH])
                    locks.append(time.perf_counter() - held[-1])
                    assert outcomes == ["sent"] * len(outcomes)
                new_seconds = time.perf_counter() - started
    sample_ids = old_sample + new_sample
    Delivery.objects.filter(notice__previous_id__in=sample_ids).update(state=Delivery.State.SENT, next_attempt_at=None)
    Delivery.objects.filter(kind=Delivery.Kind.NOTIFICATION).update(state=Delivery.State.SENT, next_attempt_at=None)
    old_rate, new_rate = len(old_sample) / old_seconds, len(new_sample) / new_seconds
    batches, lock = len(locks), statistics.median(locks)
    print(
        f"  in one process: per notice (advance_notice, as before) {len(old_queries) / len(old_sample):.1f} queries, "
        f"{1000 / old_rate:.1f} ms a notice ({old_rate:,.0f} notices/s); set-wise (notices.advance_notices, batches "
        f"of {tasks.ADVANCE_BATCH}) {len(new_queries) / len(new_sample):.2f} queries and {1000 / new_rate:.2f} ms a "
        f"notice ({new_rate:,.0f} notices/s, x{new_rate / old_rate:.1f})"
    )
    print(
        f"  the year's reference row: one block of {tasks.ADVANCE_BATCH} per batch, held {lock * 1000:.0f} ms of the "
        f"{new_seconds * 1000 / batches:.0f} ms a batch takes (median of {batches}): at most "
        f"{tasks.ADVANCE_BATCH / lock:,.0f} notices/s however many workers (before: one lock a notice)"
    )

    # The real thing: SMTP on loopback, two workers, the beat's sweep.
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command otherwise
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{controller.port}")
        use_smtp(settings, controller.port)
        # One email's cost, in this process: the sample's next steps, one send_delivery task each as before, then
        # set-wise (send_deliveries: a batch claimed at once, over one SMTP session).
        sample_mail = list(
            Delivery.objects.filter(notice__previous_id__in=new_sample).values_list("pk", flat=True)[:300]
        )
        Delivery.objects.filter(pk__in=sample_mail).update(state=Delivery.State.QUEUED)
        one_each, batched = sample_mail[:100], sample_mail[100:]
        with counted() as mail_queries:
            started = time.perf_counter()
            assert {delivery.send_delivery(delivery_id=pk) for pk in one_each} == {"sent"}
            mail_seconds = time.perf_counter() - started
        smtp_seconds = [
            (attempt.finished_at - attempt.started_at).total_seconds()
            for attempt in DeliveryAttempt.objects.filter(delivery_id__in=one_each)
        ]
        with counted() as batch_queries:
            started = time.perf_counter()
            for start in range(0, len(batched), delivery.SEND_BATCH):
                chunk = batched[start : start + delivery.SEND_BATCH]
                assert delivery.send_deliveries(delivery_ids=chunk) == dict.fromkeys(chunk, "sent")
            batch_seconds = time.perf_counter() - started
        print(
            f"  one email in this process: send_delivery (one task each) {len(mail_queries) / len(one_each):.1f} "
            f"queries, {mail_seconds * 1000 / len(one_each):.1f} ms (its SMTP session "
            f"{statistics.median(smtp_seconds) * 1000:.1f} ms); send_deliveries (batches of {delivery.SEND_BATCH}, "
            f"one session each) {len(batch_queries) / len(batched):.2f} queries, "
            f"{batch_seconds * 1000 / len(batched):.2f} ms"
        )
        mailbox.envelopes.clear()
        celery_worker_processes(2)
        first_follow_up = Notice.objects.order_by("-pk").values_list("pk", flat=True).first()
        with counted() as sweep_queries:
            started = time.perf_counter()
            claimed = tasks.run_sweep()["notices"]  # real now; its tasks go to the broker as each batch commits
            swept = time.perf_counter() - started
        assert len(claimed) == len(set(claimed)) == LAPSES
        follow_ups = Notice.objects.filter(pk__gt=first_follow_up, previous__isnull=False)
        wait_for(lambda: follow_ups.count() >= LAPSES, timeout=1800, interval=0.25, message="the lapses")
        lapsed_at = time.perf_counter() - started
        notice_mail = Delivery.objects.filter(notice__in=follow_ups)
        told = Notification.objects.filter(notice__in=follow_ups).values_list("pk", flat=True)
        owner_mail = delivery.deliveries_about(Notification, told)
        expected = list(notice_mail.values_list("message_id", flat=True)) + list(
            owner_mail.values_list("message_id", flat=True)
        )
        sent = Delivery.objects.filter(message_id__in=expected, state=Delivery.State.SENT)
        wait_for(lambda: sent.count() >= len(expected), timeout=1800, interval=0.5, message="every email accepted")
        mailed_at = time.perf_counter() - started
        settled = time.monotonic() + 2  # anything sent twice would arrive now
        while time.monotonic() < settled:
            time.sleep(0.2)
    finally:
        controller.stop()
    accepted = Counter()
    for envelope in mailbox.envelopes:
        header = envelope.content.split(b"\r\n\r\n", 1)[0]
        for line in header.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                accepted[line.split(b":", 1)[1].strip().decode()] += 1
    assert follow_ups.count() == LAPSES and follow_ups.filter(status=Notice.Status.SENT).count() == LAPSES
    assert set(accepted) == set(expected) and set(accepted.values()) == {1}  # each exactly once
    print(
        f"  two worker processes: {LAPSES:,} lapses and next steps committed in {lapsed_at:.1f} s "
        f"({LAPSES / lapsed_at:,.0f} notices/s; the sweep {swept * 1000:.0f} ms, {len(sweep_queries)} queries); "
        f"every email accepted at {mailed_at:.1f} s ({LAPSES / mailed_at:,.0f} notices/s) — target < 30 s"
    )
    print(
        f"  the SMTP server accepted {sum(accepted.values()):,} emails ({notice_mail.count():,} next-step notices "
        f"to the platform, {owner_mail.count():,} notifications to the case owners), each Message-ID exactly once"
    )
