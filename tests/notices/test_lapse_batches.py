"""Lapses processed set-wise (`lapses.advance_notices`, the `notices.advance_notices` task): a batch costs the
same statements whatever its size, does what one `advance_notice` per notice would, numbers its follow-ups
from one block without gaps, and sends each email once however many workers race on it."""

import re
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from notices import delivery, lapses, notifications, references, sending, tasks
from notices.models import Delivery, EscalationStep, Notice, Notification, ReferenceSequence, Sanction
from tests.conftest import wait_for
from tests.factories import make_user
from tests.factories_notices import case_with_items
from tests.notices.test_smtp_delivery import Mailbox, free_port, use_smtp
from tests.services import require_postgresql
from tracker.core.models import AuditEntry

START = datetime.fromisoformat("2017-03-29T09:00:00+07:00")
SWEEP_AT = START + timedelta(hours=4)  # the urgent notices' deadline


def due_notices(officer, count: int, *, items: int = 1) -> list[int]:
    """`count` urgent notices sent at START (their mail went out), each of its own case; due at SWEEP_AT."""
    ids = []
    for _ in range(count):
        case, _items = case_with_items(count=items, urgency="urgent")
        ids.append(sending.send_notice(case=case, actor=officer, now=START).pk)
    Delivery.objects.filter(notice_id__in=ids).update(state=Delivery.State.SENT, next_attempt_at=None)
    return ids


def what_was_done(previous_ids: list[int]) -> list[tuple]:
    """Per lapsed notice, what its lapse wrote, with references, ids and Message-IDs left out: the lapse's audit
    entries, the follow-up's fields, audit entries, deliveries and the owner's notification."""
    done = []
    for previous in Notice.objects.filter(pk__in=previous_ids).order_by("pk"):
        follow_up = Notice.objects.filter(previous=previous).first()

        def audit_of(notice):
            rows = AuditEntry.objects.filter(object_id=str(notice.pk), content_type__model="notice").order_by("pk")
            return [
                (row.action, row.actor_label, row.source, row.from_state, row.to_state, row.at, row.changes, row.reason)
                for row in rows
            ]

        lapsed = (previous.status, previous.lapsed_at, previous.next_action_at, audit_of(previous))
        if follow_up is None:
            done.append((lapsed, None))
            continue

        def unnumbered(text, follow_up=follow_up, previous=previous):
            return (
                text.replace(follow_up.reference, "REF")
                .replace(previous.reference, "PREV")
                .replace(follow_up.reference.replace("/", "."), "REF")
            )

        fields = (
            follow_up.status,
            follow_up.step_id,
            follow_up.urgency,
            follow_up.language,
            follow_up.recipients,
            follow_up.legal_basis,
            unnumbered(follow_up.subject),
            unnumbered(follow_up.body),
            follow_up.deadline_at,
            follow_up.deadline_rule,
            follow_up.prepared_at,
            follow_up.sent_at,
            follow_up.sent_by_id,
            follow_up.sent_by_label,
            follow_up.owner_reminders_done,
            follow_up.next_action_at,
        )
        items = list(follow_up.notice_items.order_by("item_id").values_list("display", "category"))
        deliveries = [
            (row.kind, row.recipient, row.state, row.sha256 is not None, unnumbered(row.message_id))
            for row in follow_up.deliveries.order_by("pk")
        ]
        told = [
            (
                n.user_id == previous.case.owner_id,
                n.kind,
                unnumbered(n.title),
                n.body,
                n.created_at,
                delivery.deliveries_about(Notification, [n.pk]).count(),
            )
            for n in Notification.objects.filter(notice=follow_up).order_by("pk")
        ]
        follow_up_audit = [(*row[:-1], unnumbered(row[-1])) for row in audit_of(follow_up)]
        sanctions = [
            (
                sanction.amount,
                sanction.currency,
                sanction.state,
                sanction.imposed_at,
                [
                    (row.action, row.actor_label, unnumbered(row.reason), sorted(row.changes))
                    for row in AuditEntry.objects.filter(content_type__model="sanction", object_id=str(sanction.pk))
                ],
            )
            for sanction in Sanction.objects.filter(notice=follow_up)
        ]
        done.append((lapsed, (fields, items, deliveries, told, follow_up_audit, sanctions)))
    return done


def quiet_queues(monkeypatch):
    """No broker in these tests: count what would be queued after commit instead."""
    queued = {"advance": [], "deliveries": [], "notifications": []}
    monkeypatch.setattr(tasks, "_queue_advance", lambda ids: queued["advance"].append(ids))
    monkeypatch.setattr(delivery, "enqueue", lambda ids: queued["deliveries"].extend(ids))
    monkeypatch.setattr(delivery, "enqueue_batches", lambda ids: queued["deliveries"].extend(ids))
    monkeypatch.setattr(notifications, "_queue_notification_email", lambda ids: queued["notifications"].extend(ids))
    monkeypatch.setattr(notifications, "_queue_notification_emails", lambda ids: queued["notifications"].extend(ids))
    return queued


# --- cost ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("size", [5, 50])
def test_a_batch_of_lapses_costs_the_same_statements_whatever_its_size(
    liaison_officer, django_assert_num_queries, size
):
    ids = due_notices(liaison_officer, size)
    ContentType.objects.get_for_model(Notification)  # cached per process, as in a worker that ran before
    # savepoint; lock the batch; its open items still in their cases; the ladders; lapse them all and audit;
    # contacts; items in other notices; step translations; earlier references; the block of references;
    # insert the follow-ups, their audit entries and items; earlier Message-IDs and the deliveries;
    # the owners' notifications and their emails' deliveries; release
    with django_assert_num_queries(19):
        outcomes = lapses.advance_notices(notice_ids=ids, now=SWEEP_AT)
    assert outcomes == ["sent"] * size
    assert Notice.objects.filter(previous_id__in=ids, status=Notice.Status.SENT).count() == size


# --- the same work as one notice at a time --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_batch_does_what_one_advance_notice_per_notice_does(liaison_officer, monkeypatch):
    quiet_queues(monkeypatch)
    one_by_one = due_notices(liaison_officer, 3, items=2)
    EscalationStep.objects.filter(position=2).update(sanction_amount=Decimal("25000000"))  # the next step fines
    assert [lapses.advance_notice(notice_id=pk, now=SWEEP_AT) for pk in one_by_one] == ["sent"] * 3
    set_wise = due_notices(liaison_officer, 3, items=2)
    assert lapses.advance_notices(notice_ids=set_wise, now=SWEEP_AT) == ["sent"] * 3

    alone, batched = what_was_done(one_by_one), what_was_done(set_wise)
    # Per case: platform names, item URLs, addresses.
    strip = re.compile(r"Platform \d+|(\d+\.\s)?https?://\S+|item-\S+|[\w.+-]+@[\w.-]+")
    assert [repr(strip.sub("X", repr(row))) for row in batched] == [repr(strip.sub("X", repr(row))) for row in alone]
    assert batched[0][1] is not None and batched[0][1][-1]  # follow-ups and their sanctions were compared


@pytest.mark.django_db
def test_a_mixed_batch_returns_what_each_notice_alone_would(liaison_officer, monkeypatch):
    quiet_queues(monkeypatch)
    lapsing = due_notices(liaison_officer, 2)
    reminder = due_notices(liaison_officer, 1)[0]
    # Its deadline is an hour ahead, its owner not yet reminded: the owner's reminder is due, not the lapse.
    Notice.objects.filter(pk=reminder).update(deadline_at=SWEEP_AT + timedelta(hours=1), owner_reminders_done=0)
    done_meanwhile = due_notices(liaison_officer, 1)[0]
    assert lapses.advance_notice(notice_id=done_meanwhile, now=SWEEP_AT) == "sent"  # another run took it
    gone = 10**9
    outcomes = lapses.advance_notices(notice_ids=[lapsing[0], reminder, gone, done_meanwhile, lapsing[1]], now=SWEEP_AT)
    assert outcomes == ["sent", "reminded", "", "", "sent"]


@pytest.mark.django_db
def test_a_refused_follow_up_leaves_the_batch_to_one_notice_at_a_time(liaison_officer, monkeypatch):
    quiet_queues(monkeypatch)
    fine = due_notices(liaison_officer, 2)
    no_contact = due_notices(liaison_officer, 1)[0]
    Notice.objects.get(pk=no_contact).case.platform.contacts.update(is_active=False)
    ids = [fine[0], no_contact, fine[1]]
    with pytest.raises(Exception, match="no active contact"):
        lapses.advance_notices(notice_ids=ids, now=SWEEP_AT)
    # As the per-notice path: the notices before the refused one are done, it and the rest are not.
    assert Notice.objects.filter(previous_id=fine[0]).count() == 1
    assert Notice.objects.get(pk=no_contact).status == Notice.Status.SENT
    assert not Notice.objects.filter(previous_id__in=[no_contact, fine[1]]).exists()


@pytest.mark.django_db
def test_the_sweep_run_twice_at_the_same_frozen_instant_changes_nothing(liaison_officer, monkeypatch):
    quiet_queues(monkeypatch)
    due_notices(liaison_officer, 4)

    def beat():
        with time_machine.travel(SWEEP_AT, tick=False):
            claimed = tasks.run_sweep()["notices"]
            return claimed, tasks.advance_notices(claimed)

    def world():
        return (
            list(Notice.objects.order_by("pk").values_list("pk", "status", "next_action_at", "reference")),
            list(Delivery.objects.order_by("pk").values_list("pk", "state")),
            Notification.objects.count(),
            AuditEntry.objects.count(),
            list(ReferenceSequence.objects.values_list("year", "last")),
        )

    claimed, outcomes = beat()
    assert len(claimed) == 4 and outcomes == ["sent"] * 4
    after_first = world()
    assert beat() == ([], [])
    # The same tasks delivered again (a broker redelivering them): nothing more is done either.
    with time_machine.travel(SWEEP_AT, tick=False):
        assert tasks.advance_notices(claimed) == [""] * 4
    assert world() == after_first
    follow_ups = Notice.objects.filter(previous_id__in=claimed)
    assert Delivery.objects.filter(notice__in=follow_ups, state=Delivery.State.QUEUED).count() == 4


# --- references ----------------------------------------------------------------------------------------------


def in_threads(count: int, work) -> list:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run(number):
        try:
            barrier.wait()
            results.append(work(number))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_reference_blocks_are_unique_and_gap_free_per_year_under_concurrency():
    require_postgresql()

    class RolledBack(Exception):
        pass

    def allocate(number):
        kept = []
        for round_ in range(6):
            size = 1 + (number + round_) % 5
            try:
                with transaction.atomic():
                    block = references.allocate_references(START, size)
                    if (number + round_) % 3 == 0:
                        raise RolledBack  # a batch that failed gives its block back
                    kept.extend(block)
            except RolledBack:
                pass
        kept.append(references.allocate_reference(START))  # the single path shares the counter
        return kept

    numbers = [int(reference.rsplit("/", 1)[1]) for kept in in_threads(6, allocate) for reference in kept]
    assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert ReferenceSequence.objects.get(year=2017).last == len(numbers)


@pytest.mark.django_db(transaction=True)
def test_batches_racing_on_the_same_notices_send_each_step_once_numbered_without_gaps(monkeypatch):
    require_postgresql()
    queued = quiet_queues(monkeypatch)
    officer = make_user("liaison_officer")
    ids = due_notices(officer, 12)
    first_numbers = sorted(int(reference[-6:]) for reference in Notice.objects.values_list("reference", flat=True))
    queued["deliveries"].clear()  # the first notices' mail

    overlapping = [ids, ids[::-1], ids[:6], ids[5:]]
    outcomes = in_threads(4, lambda number: lapses.advance_notices(notice_ids=overlapping[number], now=SWEEP_AT))
    assert sorted(o for run in outcomes for o in run if o) == ["sent"] * 12
    follow_ups = Notice.objects.filter(previous_id__in=ids)
    assert follow_ups.count() == 12
    numbers = sorted(int(reference[-6:]) for reference in Notice.objects.values_list("reference", flat=True))
    assert numbers == list(range(1, 25)) and first_numbers == list(range(1, 13))
    notice_mail = Delivery.objects.filter(notice__in=follow_ups)
    assert len(queued["deliveries"]) == len(set(queued["deliveries"])) == notice_mail.count() == 12


# --- two real workers, real SMTP -----------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_the_same_due_notices_send_each_email_exactly_once(
    celery_worker_processes, settings, monkeypatch
):
    require_postgresql()
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        monkeypatch.setenv("EMAIL_URL", f"smtp://127.0.0.1:{controller.port}")
        use_smtp(settings, controller.port)
        officer = make_user("liaison_officer")
        with pytest.MonkeyPatch.context() as patch:  # the first notices "went out" before the workers start
            patch.setattr(delivery, "enqueue", lambda ids: True)
            patch.setattr(notifications, "_queue_notification_email", lambda ids: None)
            patch.setattr(notifications, "_queue_notification_emails", lambda ids: None)
            ids = due_notices(officer, 20)
        Delivery.objects.update(state=Delivery.State.SENT, next_attempt_at=None)
        celery_worker_processes(2)
        # The same notices handed out twice, as two sweeps after a lost lease would, in opposite orders.
        for start in range(0, 20, 5):
            tasks.advance_notices.delay(ids[start : start + 5])
            tasks.advance_notices.delay(ids[start : start + 5][::-1])
        follow_ups = Notice.objects.filter(previous_id__in=ids)
        wait_for(lambda: follow_ups.count() == 20, timeout=90, message="the workers to lapse the notices")
        expected = list(Delivery.objects.filter(notice__in=follow_ups).values_list("message_id", flat=True))
        told = Notification.objects.filter(notice__in=follow_ups).values_list("pk", flat=True)
        expected += list(delivery.deliveries_about(Notification, told).values_list("message_id", flat=True))
        owners_with_email = Notification.objects.filter(notice__in=follow_ups, user__email__gt="").count()
        assert len(expected) == len(set(expected)) == 20 + owners_with_email
        wait_for(
            lambda: (
                Delivery.objects.filter(message_id__in=expected, state=Delivery.State.SENT).count() == len(expected)
            ),
            timeout=90,
            message="every email to be accepted",
        )
    finally:
        controller.stop()
    accepted = [
        message_id
        for envelope in mailbox.envelopes
        for message_id in re.findall(rb"Message-ID: (<[^>]+>)", envelope.content, flags=re.IGNORECASE)[:1]
    ]
    assert sorted(m.decode() for m in accepted) == sorted(expected)  # each exactly once


# --- mail sent set-wise: one SMTP session a batch, each message once ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_batch_of_deliveries_goes_over_one_smtp_session_each_message_once(smtp_server, monkeypatch):
    quiet_queues(monkeypatch)
    officer = make_user("liaison_officer")
    ids = due_notices(officer, 3)
    assert lapses.advance_notices(notice_ids=ids, now=SWEEP_AT) == ["sent"] * 3
    mailbox = smtp_server()
    queued = list(Delivery.objects.filter(state=Delivery.State.QUEUED).order_by("pk").values_list("pk", flat=True))
    assert len(queued) == 6  # three next steps to the platforms, three notifications to the owners

    assert delivery.send_deliveries(delivery_ids=queued) == dict.fromkeys(queued, "sent")
    assert delivery.send_deliveries(delivery_ids=queued) == {}  # a duplicate task: nothing is sent twice
    assert len(mailbox.envelopes) == 6
    sent = Delivery.objects.filter(pk__in=queued)
    assert {row.state for row in sent} == {Delivery.State.SENT}
    for row in sent:
        assert row.server_reply.startswith("250 ") and row.accepted_at is not None and row.attempts == 1
        assert row.attempts_made.get().result == "accepted"
        assert sum(row.message_id.encode() in envelope.content for envelope in mailbox.envelopes) == 1
    moves = AuditEntry.objects.filter(content_type__model="delivery", object_id__in=[str(pk) for pk in queued])
    assert sorted(moves.values_list("from_state", "to_state")) == [("sending", "sent")] * 6


@pytest.mark.django_db(transaction=True)
def test_a_batch_refused_by_the_server_is_failed_per_message_never_sent(smtp_server, monkeypatch):
    quiet_queues(monkeypatch)
    officer = make_user("liaison_officer")
    ids = due_notices(officer, 2)
    lapses.advance_notices(notice_ids=ids, now=SWEEP_AT)
    mailbox = smtp_server(Mailbox(refuse="550 5.1.1 no such user"))
    queued = list(Delivery.objects.filter(state=Delivery.State.QUEUED).values_list("pk", flat=True))
    assert delivery.send_deliveries(delivery_ids=queued) == dict.fromkeys(queued, "failed")
    assert mailbox.envelopes == []
    for row in Delivery.objects.filter(pk__in=queued):
        assert row.state == Delivery.State.FAILED and row.needs_check and "550" in row.error


@pytest.mark.django_db(transaction=True)
def test_a_session_lost_midway_leaves_the_message_in_flight_unknown_and_the_rest_unsent(lossy_server, monkeypatch):
    quiet_queues(monkeypatch)
    retried = []
    monkeypatch.setattr(tasks.send_delivery, "apply_async", lambda args, countdown: retried.append(args[0]))
    officer = make_user("liaison_officer")
    ids = due_notices(officer, 2)
    lapses.advance_notices(notice_ids=ids, now=SWEEP_AT)
    queued = sorted(Delivery.objects.filter(state=Delivery.State.QUEUED).values_list("pk", flat=True))
    outcomes = delivery.send_deliveries(delivery_ids=queued)
    assert outcomes == {queued[0]: "unknown", **dict.fromkeys(queued[1:], "retry")}
    assert len(lossy_server) == 1  # only the first went out; its verdict never came
    first = Delivery.objects.get(pk=queued[0])
    assert first.state == Delivery.State.UNKNOWN and first.needs_check
    assert set(Delivery.objects.filter(pk__in=queued[1:]).values_list("state", flat=True)) == {Delivery.State.QUEUED}
    assert sorted(retried) == queued  # each retried by send_delivery, with the same bytes and Message-ID


def test_mail_tasks_have_a_queue_of_their_own_that_every_worker_consumes():
    """A batch of lapses queues its emails on the mail queue, so a worker takes them in turn with the next
    batches instead of after all of them (10,000 lapses: every email out at 23 s instead of 30 s in `make
    bench`); a worker started without --queues (deploy/, `make run`) consumes both queues."""
    from django.conf import settings

    from tracker.conf.celery import app

    for task in ("notices.send_delivery", "notices.send_deliveries"):
        assert app.amqp.router.route({}, task)["queue"].name == settings.CELERY_MAIL_QUEUE
    for task in ("notices.advance_notices", "notices.sweep"):
        assert app.amqp.router.route({}, task)["queue"].name == settings.CELERY_TASK_DEFAULT_QUEUE
    assert settings.CELERY_MAIL_QUEUE != settings.CELERY_TASK_DEFAULT_QUEUE
    assert set(app.amqp.queues) == {settings.CELERY_TASK_DEFAULT_QUEUE, settings.CELERY_MAIL_QUEUE}
