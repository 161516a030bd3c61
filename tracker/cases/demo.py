"""Demo data: the Telegram case of 2016-2017, with channels logged by the analysts and verified by a second one.

The channel names are invented placeholders (no real channel is named); the dates follow the ministry's
account in ../shared/DOMAIN.md. Safe to run twice.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from platforms.models import Platform
from tracker.cases import services as case_services
from tracker.cases.models import Case
from tracker.core.models import User
from tracker.items import services as item_services
from tracker.items.models import Category, FlaggedItem, Sighting

WIB = ZoneInfo("Asia/Jakarta")
CASE_TITLE = "Telegram — channels spreading radicalism and terrorism, 2016–2017"
CHANNELS = [
    ("https://t.me/s/demo_radikal_satu", "terrorism", "patrol"),
    ("https://telegram.me/demo_radikal_dua", "terrorism", "agency_referral"),
    ("@demo_seruan_jihad", "radicalism", "patrol"),
    ("https://t.me/demo_propaganda_kanal/41", "terrorism", "public_complaint"),
    ("https://t.me/demo_rekrut_bot", "terrorism", "agency_referral"),
    ("https://t.me/demo_khilafah_news", "radicalism", "crawler"),
]


def at(day: str, time: str = "09:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=WIB)


def load(stdout) -> None:
    telegram = Platform.objects.filter(slug="telegram").first()
    analyst, second, owner = (User.objects.filter(username=name).first() for name in ("analyst", "analyst2", "liaison"))
    if telegram is None or None in (analyst, second, owner):
        stdout.write("No Telegram platform or demo users: the Telegram case is not loaded.")
        return
    if Case.objects.filter(title=CASE_TITLE).exists():
        return
    analyst, second = User.objects.get(pk=analyst.pk), User.objects.get(pk=second.pk)
    registry = item_services.HostRegistry.load()
    items = []
    for number, (url, category, source) in enumerate(CHANNELS):
        item, _ = item_services.log_item(
            actor=analyst,
            url=url,
            category=Category.objects.get(slug=category),
            source=source,
            language="id",
            handle_platform=telegram,
            registry=registry,
        )
        logged = at(f"2016-03-2{2 + number}")
        # History, not today: the demo's items carry the dates of the story.
        FlaggedItem.objects.filter(pk=item.pk).update(
            logged_at=logged, status_changed_at=logged, last_reported_at=logged
        )
        Sighting.objects.filter(item=item).update(reported_at=logged)
        items.append(item_services.verify_item(item, actor=second, reason="content contrary to national law"))
    # The same channel reported again by the public, in another form: one item, two reports.
    item_services.log_item(
        actor=second,
        url="t.me/Demo_Radikal_Satu",
        category=Category.objects.get(slug="terrorism"),
        source="public_complaint",
        registry=registry,
    )
    case = case_services.open_case(
        actor=analyst,
        platform=telegram,
        title=CASE_TITLE,
        description="Channels found with other agencies; the ministry asked Telegram to remove them.",
        owner=User.objects.get(pk=owner.pk),
        items=items,
    )
    Case.objects.filter(pk=case.pk).update(opened_at=at("2016-03-28", "10:00"))
    case.memberships.update(added_at=at("2016-03-28", "10:05"))
    stdout.write(f"Demo case: {case.title} ({len(items)} channels)")
