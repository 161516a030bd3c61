"""Demo data: the six emails the ministry sent Telegram between 29 March 2016 and 11 June 2017, none answered,
and the CEO's public apology of 16 July 2017 in the case's contact log.

They were sent from an ordinary mailbox before the tracker existed, so the liaison officer records them
afterwards (`record_past_notice`): they take their place in the case's ladder and timeline with their
deadlines lapsed, have no delivery row and are never sent. The default ladder has five notice rungs: the
sixth email is recorded beyond it, repeating its final warning. ../shared/DOMAIN.md gives only the first and
the last date; the four between, every time of day and the deadlines of the first five are placeholders,
and each notice's body says which of its facts are. Safe to run twice.

`blocking.demo` cites them in the block order of 14 July 2017: `recorded_emails(case)` returns them.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from tracker.cases.demo import CASE_TITLE
from tracker.cases.models import Case
from tracker.core.models import User
from tracker.items.models import FlaggedItem

from . import contacts, ladder, sending
from .models import ContactEntry, EscalationStep, Notice

WIB = ZoneInfo("Asia/Jakarta")
SENDER = "ministry mailbox, before the tracker"
SOURCE = "the ministry's press release of July 2017 (see ../shared/DOMAIN.md)"
PLACEHOLDER_DAY = (
    "Date: a placeholder. The press release says only that six emails went between 29 March 2016 and "
    "11 June 2017; the days of the four between are not known."
)
SIXTH_DATE = (
    "Date: the press release dates the sixth email both 11 June 2017 and 'Tuesday (11/7)', that is "
    "11 July 2017, a Tuesday. Recorded as 11 June 2017, the date it gives for the six emails; 11 July fits "
    "better its waiting 'two more days, until 13 July' before deciding to block. The source is inconsistent "
    "and the tracker keeps what was said."
)
LADDER_DEADLINE = (
    "Deadline: the default ladder's response time for urgent items; the press release does not say whether "
    "the email set one."
)
SIXTH_DEADLINE = (
    "Deadline: 13 July 2017, the day until which the ministry waited for any sign of good faith (the press "
    "release); the hour is a placeholder."
)
# number, day (WIB), ladder rung (None: beyond the ladder), what is known of the date; the time of day (10:00)
# is a placeholder for all.
EMAILS = [
    (1, "2016-03-29", 1, "Date: 29 March 2016, from the press release."),
    (2, "2016-06-28", 2, PLACEHOLDER_DAY),
    (3, "2016-09-27", 3, PLACEHOLDER_DAY),
    (4, "2016-12-27", 4, PLACEHOLDER_DAY),
    (5, "2017-03-28", 5, PLACEHOLDER_DAY),
    (6, "2017-06-11", None, SIXTH_DATE),
]
TIME_OF_DAY = "10:00"
SIXTH_DEADLINE_AT = ("2017-07-13", TIME_OF_DAY)
RUNGS = (
    "Rung: the default ladder has five notice rungs and the ministry sent six emails; the sixth is recorded "
    "beyond the ladder, repeating its final warning. Which email was a reminder or a warning is not known, nor "
    "what each said beyond its request."
)
APOLOGY_AT = ("2017-07-16", TIME_OF_DAY)
APOLOGY = (
    "Telegram's CEO apologised publicly, acknowledged that the ministry's emails had been received, and committed "
    "to a direct line of communication with the ministry (the ministry's account, see ../shared/DOMAIN.md). "
    "Time of day: a placeholder; the statement's own words are not kept in the tracker."
)


def at(day: str, time: str = TIME_OF_DAY) -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=WIB)


def email_dates() -> list[datetime]:
    return [at(day) for _number, day, _rung, _note in EMAILS]


def recorded_emails(case: Case):
    """The six recorded notices of the demo case, oldest first."""
    return Notice.objects.filter(case=case, recorded_afterwards=True, sent_at__in=email_dates()).order_by("sent_at")


def load(stdout) -> None:
    case = Case.objects.filter(title=CASE_TITLE).select_related("platform").first()
    officer = User.objects.filter(username="liaison").first()
    if case is None or officer is None:
        stdout.write("No Telegram demo case or liaison officer: the six emails of 2016-2017 are not loaded.")
        return
    officer = User.objects.get(pk=officer.pk)  # fresh: no cached permissions
    steps = {step.position: step for step in ladder.policy_for(case.platform).steps.all()}
    items = list(
        FlaggedItem.objects.filter(memberships__case=case, memberships__removed_at__isnull=True).order_by("id")
    )
    recorded = 0
    for number, day, position, date_note in EMAILS:
        sent_at = at(day)
        if Notice.objects.filter(case=case, recorded_afterwards=True, sent_at=sent_at).exists():
            continue
        step = steps.get(position) if position else None  # None: the next rung, or beyond the ladder
        if position and (step is None or step.kind == EscalationStep.Kind.BLOCK_PROPOSAL):
            # an administrator shortened the ladder
            stdout.write("The default ladder has too few notice steps: the six emails are not loaded.")
            return
        last = number == len(EMAILS)
        sending.record_past_notice(
            case=case,
            actor=officer,
            sent_at=sent_at,
            items=items,
            step=step,
            subject=f"[recorded afterwards] Email {number} of 6 to {case.platform.name}: "
            "remove channels spreading radicalism and terrorism",
            body=_body(number, items, date_note, SIXTH_DEADLINE if last else LADDER_DEADLINE),
            deadline_at=at(*SIXTH_DEADLINE_AT) if last else None,
            sent_by_label=SENDER,
        )
        recorded += 1
    if recorded:
        stdout.write(f"Demo notices: {recorded} emails of 2016-2017 recorded afterwards, none answered")
    if not apology(case).exists():
        contacts.record_contact(
            case=case,
            actor=officer,
            kind=ContactEntry.Kind.PUBLIC_STATEMENT,
            occurred_at=at(*APOLOGY_AT),
            summary=APOLOGY,
            platform_participants=["Telegram's CEO"],
        )
        stdout.write("Demo contact log: the public apology of 16 July 2017")


def apology(case: Case):
    """The demo case's contact log entry of 16 July 2017."""
    return ContactEntry.objects.filter(case=case, kind=ContactEntry.Kind.PUBLIC_STATEMENT, occurred_at=at(*APOLOGY_AT))


def _body(number: int, items: list[FlaggedItem], date_note: str, deadline_note: str) -> str:
    listed = "\n".join(f"{n}. {item.display}" for n, item in enumerate(items, start=1))
    return (
        f"Recorded afterwards by the liaison officer from {SOURCE}.\n\n"
        f"Email {number} of the six the ministry sent Telegram asking it to remove channels spreading "
        "radicalism and terrorism, content contrary to national law. It was delivered and never answered "
        "(Telegram acknowledged receiving the emails on 16 July 2017). Its text is not kept in the tracker.\n\n"
        f"The channels of this case it concerned:\n{listed}\n\n"
        f"{date_note} The time of day is a placeholder.\n"
        f"{deadline_note}\n"
        f"{RUNGS}\n"
        "Recipients: the platform registry's current contacts for Telegram; the press release does not say "
        "which addresses the ministry wrote to.\n"
    )
