"""The time-zone picker's choices: Indonesia's three zones first, then the world's by region, each with its name
and its offset from UTC today, instead of ~600 raw identifiers in one list."""

import zoneinfo
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

INDONESIA = [
    ("Asia/Jakarta", _("Western Indonesia Time (WIB): Jakarta, Sumatra, Java, West and Central Kalimantan")),
    ("Asia/Makassar", _("Central Indonesia Time (WITA): Bali, Sulawesi, Nusa Tenggara, East Kalimantan")),
    ("Asia/Jayapura", _("Eastern Indonesia Time (WIT): Maluku, Papua")),
]
REGIONS = ("Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


def offset_label(name: str, at: datetime | None = None) -> str:
    """ "UTC+07:00" for Asia/Jakarta: the zone's offset at `at` (now), summer time included."""
    offset = (at or timezone.now()).astimezone(zoneinfo.ZoneInfo(name)).strftime("%z")
    return f"UTC{offset[:3]}:{offset[3:]}"


def time_zone_groups(at: datetime | None = None) -> list[tuple[str, list[tuple[str, str]]]]:
    """[(group heading, [(zone identifier, label)])], Indonesia first; every zone a user may have chosen before
    is in a group (the identifiers outside the regions, such as UTC, under "Other")."""
    indonesian = {name for name, _label in INDONESIA}
    groups = [(str(_("Indonesia")), [(name, f"{label} ({offset_label(name, at)})") for name, label in INDONESIA])]
    by_region: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones() - indonesian):
        region, _slash, place = name.partition("/")
        if region not in REGIONS or not place:
            region, place = str(_("Other")), name
        by_region.setdefault(region, []).append((name, f"{place.replace('_', ' ')} ({offset_label(name, at)})"))
    groups += [(region, by_region[region]) for region in (*REGIONS, str(_("Other"))) if region in by_region]
    return groups
