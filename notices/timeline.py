"""The case timeline's entries from notices: each notice (sent, recorded or prepared), each lapse, reminder,
reply (late ones marked with how late), email received, rebuttal, sanction and contact logged.

Seven queries, however many notices and contacts the case has.
"""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tracker.core.templatetags.human_time import human_time
from tracker.core.timeline import TimelineEvent

from .models import ContactEntry, InboundMail, Notice, Notification, PlatformReply, Rebuttal, Sanction
from .replies import describe_lateness


def case_events(case) -> list[TimelineEvent]:
    now = timezone.now()
    events = []
    for notice in Notice.objects.filter(case=case).select_related("step").order_by("prepared_at", "id"):
        label = f"{notice.step.name} {notice.reference}"
        if notice.beyond_ladder:
            label = _("%(label)s (extra, beyond the ladder)") % {"label": label}
        url = notice_url(notice.pk)
        if notice.sent_at is None:
            events.append(
                TimelineEvent(
                    notice.prepared_at, "notice_prepared", _("%s prepared, awaiting confirmation") % label, url=url
                )
            )
            continue
        events.append(
            TimelineEvent(
                notice.sent_at,
                "notice_sent",
                _("%s sent") % label,
                actor=notice.sent_by_label,
                detail=_("to %(recipients)s; reply due %(deadline)s")
                % {"recipients": ", ".join(notice.recipients), "deadline": _when(notice.deadline_at)},
                url=url,
                overdue=notice.is_overdue(now),
                recorded_afterwards=notice.recorded_afterwards,
                extra={"reference": notice.reference, "status": notice.status, "beyond_ladder": notice.beyond_ladder},
            )
        )
        if notice.lapsed_at:
            events.append(TimelineEvent(notice.lapsed_at, "notice_lapsed", _("%s lapsed unanswered") % label, url=url))
        elif notice.answered_at:
            events.append(TimelineEvent(notice.answered_at, "notice_answered", _("%s answered") % label, url=url))
    reminders = Notification.objects.filter(case=case, kind=Notification.Kind.DEADLINE_REMINDER).select_related("user")
    for reminder in reminders:
        events.append(
            TimelineEvent(
                reminder.created_at,
                "reminder",
                _("Reminder to %(user)s") % {"user": reminder.user.get_username()},
                detail=reminder.title,
            )
        )
    replies = PlatformReply.objects.filter(notice__case=case).select_related("notice", "recorded_by")
    for reply in replies:
        title = _("Reply to %(reference)s (%(channel)s)") % {
            "reference": reply.notice.reference,
            "channel": reply.get_channel_display(),
        }
        extra = {}
        if reply.late:
            title = _("Late reply to %(reference)s (%(channel)s): %(lateness)s") % {
                "reference": reply.notice.reference,
                "channel": reply.get_channel_display(),
                "lateness": describe_lateness(reply),
            }
            late_by = reply.late_by
            extra = {"late": True, "late_by_seconds": None if late_by is None else int(late_by.total_seconds())}
        events.append(
            TimelineEvent(
                reply.received_at,
                "reply",
                title,
                actor=reply.recorded_by.get_username(),
                detail=reply.summary,
                url=notice_url(reply.notice_id),
                recorded_afterwards=reply.recorded_afterwards,
                extra=extra,
            )
        )
    mails = InboundMail.objects.filter(notice__case=case).select_related("notice")
    for mail in mails.only("received_at", "date", "kind", "subject", "from_address", "notice__reference"):
        events.append(
            TimelineEvent(
                mail.date or mail.received_at,
                "inbound_mail",
                _("%(kind)s about %(reference)s from %(sender)s")
                % {
                    "kind": mail.get_kind_display().capitalize(),
                    "reference": mail.notice.reference,
                    "sender": mail.from_address or "?",
                },
                detail=mail.subject,
                url=notice_url(mail.notice_id),
            )
        )
    rebuttals = Rebuttal.objects.filter(notice_item__notice__case=case).select_related("notice_item", "decided_by")
    for rebuttal in rebuttals:
        entry = rebuttal.notice_item
        events.append(
            TimelineEvent(
                rebuttal.received_at,
                "rebuttal",
                _("%(platform)s objects to %(item)s") % {"platform": case.platform, "item": entry.display},
                detail=rebuttal.reasons,
                url=notice_url(entry.notice_id),
            )
        )
        if rebuttal.decided_at:
            events.append(
                TimelineEvent(
                    rebuttal.decided_at,
                    "rebuttal_decided",
                    _("Rebuttal for %(item)s: %(decision)s")
                    % {"item": entry.display, "decision": rebuttal.get_decision_display()},
                    actor=rebuttal.decided_by.get_username(),
                    detail=rebuttal.decision_reason,
                )
            )
    for sanction in Sanction.objects.filter(case=case).select_related("notice"):
        amount = f"{formats.number_format(sanction.amount, 0, force_grouping=True)} {sanction.currency}"
        events.append(
            TimelineEvent(
                sanction.imposed_at,
                "sanction",
                _("Sanction of %(amount)s imposed") % {"amount": amount},
                detail=sanction.notice.reference if sanction.notice else "",
            )
        )
        for state, at in (
            ("committed", sanction.committed_at),
            ("paid", sanction.paid_at),
            ("waived", sanction.waived_at),
        ):
            if at:
                events.append(
                    TimelineEvent(
                        at,
                        "sanction",
                        _("Sanction of %(amount)s: %(state)s")
                        % {"amount": amount, "state": Sanction.State(state).label},
                    )
                )
    events.extend(contact_events(case))
    return events


def contact_events(case) -> list[TimelineEvent]:
    """The case's contact log, one entry each; a correction names the entry it corrects."""
    events = []
    entries = ContactEntry.objects.filter(case=case).select_related("recorded_by").order_by("occurred_at", "id")
    for entry in entries:
        title = _("%(kind)s with %(platform)s") % {
            "kind": entry.get_kind_display().capitalize(),
            "platform": case.platform,
        }
        if entry.kind == ContactEntry.Kind.PUBLIC_STATEMENT:
            title = _("Public statement by %(platform)s") % {"platform": case.platform}
        if entry.corrects_id:
            title = _("%(title)s (correction of #%(number)d)") % {"title": title, "number": entry.corrects_id}
        people = ", ".join([*entry.ministry_participants, *entry.platform_participants])
        events.append(
            TimelineEvent(
                entry.occurred_at,
                "contact",
                title,
                actor=entry.recorded_by.get_username(),
                detail=f"{entry.summary} ({people})" if people else entry.summary,
                url=f"{reverse('cases-detail', args=[case.pk])}#contact-{entry.pk}",
                extra={"contact": entry.pk, "kind": entry.kind, "corrects": entry.corrects_id},
            )
        )
    return events


def notice_url(notice_id: int) -> str:
    return reverse("notices-detail", args=[notice_id])


def _when(at) -> str:
    # The format every history and timeline entry uses, so a deadline reads like the times around it.
    return human_time(at) if at else "-"
