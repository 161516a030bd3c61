"""The case timeline's entries from notices: each notice (sent, recorded or prepared), each reply, each lapse.

Two queries, however many notices the case has.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.timeline import TimelineEvent

from .models import Notice, PlatformReply


def case_events(case) -> list[TimelineEvent]:
    now = timezone.now()
    events = []
    for notice in Notice.objects.filter(case=case).select_related("step"):
        label = f"{notice.step.name} {notice.reference}"
        if notice.sent_at is None:
            events.append(
                TimelineEvent(notice.prepared_at, "notice_prepared", _("%s prepared, awaiting confirmation") % label)
            )
            continue
        events.append(
            TimelineEvent(
                notice.sent_at,
                "notice_sent",
                _("%s sent") % label,
                actor=notice.sent_by_label,
                detail=_("to %(recipients)s; reply due %(deadline)s")
                % {"recipients": ", ".join(notice.recipients), "deadline": notice.deadline_at},
                overdue=notice.is_overdue(now),
                recorded_afterwards=notice.recorded_afterwards,
                extra={"reference": notice.reference, "status": notice.status},
            )
        )
        if notice.lapsed_at:
            events.append(TimelineEvent(notice.lapsed_at, "notice_lapsed", _("%s lapsed unanswered") % label))
    replies = PlatformReply.objects.filter(notice__case=case).select_related("notice", "recorded_by")
    for reply in replies:
        events.append(
            TimelineEvent(
                reply.received_at,
                "reply",
                _("Reply to %(reference)s (%(channel)s)")
                % {"reference": reply.notice.reference, "channel": reply.get_channel_display()},
                actor=reply.recorded_by.get_username(),
                detail=reply.summary,
                recorded_afterwards=reply.recorded_afterwards,
            )
        )
    return events
