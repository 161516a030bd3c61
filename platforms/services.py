"""Writes to the platform registry: platforms, their hosts and owned DNS names, contacts, trusted-flagger
status, and the register of government advisories.

Each function is the one door for its change (the UI, the API and the demo call them). It checks the actor's
permission, validates everything before it writes (a `DomainError` names each bad field), and saves the
change with its audit entry in one transaction, so nothing is ever half-saved.

A SystemActor (tracker/core/actors.py) is the system itself (the demo loader, a management command): it may
do everything, and its
audit entries take their label from the command's audit context (`load_demo`). Views and the API always
pass the signed-in user, who is never None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib import resources

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tracker.core import audit
from tracker.core.actors import is_system, require_actor
from tracker.core.canonical import InvalidItem, normalise_host
from tracker.core.dns_names import parse_names
from tracker.core.errors import DomainError, NotPermitted
from tracker.core.models import AuditEntry
from tracker.core.states import change_state

from .models import (
    AdvisoryReason,
    GovernmentAdvisory,
    Platform,
    PlatformContact,
    PlatformDomain,
    PlatformHost,
)

PLATFORM_FIELDS = [
    "name",
    "slug",
    "operator_legal_name",
    "home_country",
    "website",
    "language",
    "url_rules",
    "has_government_channel",
    "has_representative_office",
    "representative_office_address",
    "notes",
]
CONTACT_FIELDS = ["role", "name", "email", "is_active"]
ADVISORY_FIELDS = [
    "authority",
    "country",
    "reference",
    "issued_on",
    "scope",
    "measure",
    "alternative",
    "source",
    "source_url",
    "notes",
]


# --- platforms ---------------------------------------------------------------------------------


def save_platform(*, actor, platform: Platform | None = None, reason: str = "", **fields) -> Platform:
    """Register a platform or change its details. Trusted-flagger status has its own door (below)."""
    _require(actor, "platforms.change_platform" if platform else "platforms.add_platform")
    _known_fields(fields, PLATFORM_FIELDS)
    if platform is None and not fields.get("slug") and fields.get("name"):
        fields["slug"] = slugify(fields["name"])[:50]
    problems = {}
    if fields.get("home_country"):
        fields["home_country"] = fields["home_country"].strip()
        _check_country(fields["home_country"], "home_country", problems)
    with transaction.atomic():
        if platform is None:
            target = Platform(**fields)
            before = None
        else:
            target = Platform.objects.select_for_update().get(pk=platform.pk)
            before = audit.snapshot(target)
            for name, value in fields.items():
                setattr(target, name, value)
        _full_clean(target, problems, exclude=["trusted_flagger_since", "trusted_flagger_granted_by"])
        _save_audited(target, before, actor=actor, reason=reason)
    return target


def set_platform_hosts(*, actor, platform: Platform, hosts: Iterable[str], reason: str = "") -> list[str]:
    """Make `hosts` exactly the platform's hosts, stored normalised. A host belongs to one platform only."""
    _require(actor, "platforms.change_platform")
    wanted: dict[str, None] = {}
    problems = []
    for number, raw in enumerate(hosts, start=1):
        raw = raw.strip()
        if not raw:
            continue
        try:
            wanted.setdefault(normalise_host(raw), None)
        except InvalidItem as exc:
            problems.append(_("line %(number)s: %(problem)s") % {"number": number, "problem": exc.message})
    taken = PlatformHost.objects.filter(host__in=wanted).exclude(platform=platform).select_related("platform")
    for host in taken:
        problems.append(
            _("%(host)s already belongs to %(platform)s") % {"host": host.host, "platform": host.platform.name}
        )
    if problems:
        raise DomainError(problems[0], fields={"hosts": problems[:50]})
    try:
        return _replace_owned(platform, PlatformHost, "host", "hosts", list(wanted), actor=actor, reason=reason)
    except IntegrityError:
        # Another platform took one of these hosts between our check and our insert.
        message = _("One of these hosts was just registered for another platform; reload and try again.")
        raise DomainError(message, fields={"hosts": [message]}) from None


def set_platform_domains(*, actor, platform: Platform, names, reason: str = "") -> list[str]:
    """Make `names` (text, one a line, or a list) exactly the DNS names the platform owns.

    Names are checked as a block order would check them (tracker/core/dns_names.py); notes of names kept stay.
    """
    _require(actor, "platforms.change_platform")
    empty = not names or (isinstance(names, str) and not names.strip())
    wanted = [] if empty else [str(name) for name in parse_names(names)]
    return _replace_owned(platform, PlatformDomain, "name", "domains", wanted, actor=actor, reason=reason)


def _replace_owned(platform: Platform, model, field: str, related: str, wanted: list[str], *, actor, reason) -> list:
    """Make the platform's `related` rows (hosts or DNS names) exactly `wanted`, audited as one change.

    Rows kept stay as they are (with their notes); only those dropped are deleted and those new inserted.
    """
    with transaction.atomic():
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        rows = getattr(platform, related)
        current = set(rows.values_list(field, flat=True))
        if current == set(wanted):
            return sorted(current)
        rows.exclude(**{f"{field}__in": wanted}).delete()
        model.objects.bulk_create(
            [model(platform=platform, **{field: value}) for value in wanted if value not in current]
        )
        audit.record(
            obj=platform,
            action=AuditEntry.Action.CHANGE,
            actor=actor,
            changes={related: [sorted(current), sorted(wanted)]},
            reason=reason,
        )
    return sorted(wanted)


def grant_trusted_flagger(*, actor, platform: Platform, since: date, granted_by: str, reason: str = "") -> Platform:
    """Record that the platform handles the ministry's notices with priority, since when and on whose word."""
    _require(actor, "platforms.change_platform")
    problems = {}
    granted_by = (granted_by or "").strip()
    if since is None:
        problems["since"] = [_("Give the date the status was granted.")]
    elif since > timezone.localdate():
        problems["since"] = [_("The date is in the future.")]
    if not granted_by:
        problems["granted_by"] = [_("Say who at the platform granted it.")]
    elif len(granted_by) > 200:
        problems["granted_by"] = [_("At most 200 characters.")]
    _raise(problems)
    with transaction.atomic():
        platform = Platform.objects.select_for_update().get(pk=platform.pk)
        before = audit.snapshot(platform)
        platform.trusted_flagger_since, platform.trusted_flagger_granted_by = since, granted_by
        platform.save(update_fields=["trusted_flagger_since", "trusted_flagger_granted_by"])
        _record_change(platform, before, actor=actor, reason=reason or _("trusted flagger status granted"))
    return platform


# --- contacts ----------------------------------------------------------------------------------


def save_contact(
    *, actor, platform: Platform | None = None, contact: PlatformContact | None = None, reason: str = "", **fields
) -> PlatformContact:
    """Add a contact to `platform`, or change `contact`. One active contact per (role, address)."""
    _require(actor, "platforms.change_platformcontact" if contact else "platforms.add_platformcontact")
    _known_fields(fields, CONTACT_FIELDS)
    if contact is None and platform is None:
        raise DomainError(_("Name the platform."), fields={"platform": [_("Name the platform.")]})
    if "email" in fields:
        fields["email"] = (fields["email"] or "").strip().lower()
    problems = {}
    with transaction.atomic():
        if contact is None:
            target, before = PlatformContact(platform=platform, **fields), None
        else:
            target = PlatformContact.objects.select_for_update().get(pk=contact.pk)
            before = audit.snapshot(target)
            for name, value in fields.items():
                setattr(target, name, value)
        if not target.email:
            problems["email"] = [_("A contact needs an email address.")]
        _full_clean(target, problems, exclude=["platform"])
        if target.is_active:
            twins = PlatformContact.objects.filter(
                platform_id=target.platform_id, role=target.role, email=target.email, is_active=True
            ).exclude(pk=target.pk)
            if twins.exists():
                _raise({"email": [_("This address is already an active contact of this role.")]})
        _save_audited(target, before, actor=actor, reason=reason)
    return target


def deactivate_contact(*, actor, contact: PlatformContact, reason: str = "") -> PlatformContact:
    """Stop using a contact; it stays on record (notices sent to it still name it)."""
    _require(actor, "platforms.change_platformcontact")
    with transaction.atomic():
        contact = PlatformContact.objects.select_for_update().get(pk=contact.pk)
        if not contact.is_active:
            return contact
        contact.is_active = False
        contact.save(update_fields=["is_active"])
        audit.record_transition(contact, actor=actor, from_state="active", to_state="inactive", reason=reason)
    return contact


# --- government advisories ---------------------------------------------------------------------


def record_advisory(
    *,
    actor,
    advisory: GovernmentAdvisory | None = None,
    platforms: Iterable[Platform] | None = None,
    reasons: Iterable[AdvisoryReason | str] | None = None,
    reason: str = "",
    **fields,
) -> GovernmentAdvisory:
    """Record a government's advisory about platforms, or correct one already recorded.

    `reasons` are AdvisoryReason rows or their slugs. On a change, `platforms` or `reasons` left as None
    stay as they are. An advisory may name no platform of the registry only if its notes say why.
    Lifting is `lift_advisory`, not a field.
    """
    _require(actor, "platforms.change_governmentadvisory" if advisory else "platforms.add_governmentadvisory")
    _known_fields(fields, ADVISORY_FIELDS)
    problems: dict[str, list[str]] = {}
    if fields.get("country"):
        fields["country"] = fields["country"].strip()
    if "country" in fields or advisory is None:
        _check_country(fields.get("country", ""), "country", problems)
    reason_rows = None if reasons is None else _reason_rows(reasons, problems)
    platform_rows = None if platforms is None else list(platforms)
    with transaction.atomic():
        if advisory is None:
            target, before = GovernmentAdvisory(recorded_by=_user(actor), **fields), None
            platform_rows = platform_rows or []
            reason_rows = reason_rows or []
        else:
            target = GovernmentAdvisory.objects.select_for_update().get(pk=advisory.pk)
            before = {**audit.snapshot(target), **_advisory_links(target)}
            for name, value in fields.items():
                setattr(target, name, value)
        issued_on = target.issued_on
        if isinstance(issued_on, date) and issued_on > timezone.localdate():
            problems.setdefault("issued_on", []).append(_("The date is in the future."))
        if target.lifted_on and isinstance(issued_on, date) and target.lifted_on < issued_on:
            problems.setdefault("issued_on", []).append(_("It cannot be issued after it was lifted."))
        named = platform_rows if platform_rows is not None else list(target.platforms.all())
        if not named and not (target.notes or "").strip():
            problems["platforms"] = [_("Name the platforms concerned, or say in the notes why none can be named.")]
        _full_clean(target, problems, exclude=["platforms", "reasons", "recorded_by", "status", "lifted_on"])
        target.save()
        if platform_rows is not None:
            target.platforms.set(platform_rows)
        if reason_rows is not None:
            target.reasons.set(reason_rows)
        after = {**audit.snapshot(target), **_advisory_links(target)}
        if before is None:
            audit.record(
                obj=target, action=AuditEntry.Action.CREATE, actor=actor, changes=audit.diff({}, after), reason=reason
            )
        else:
            changes = audit.diff(before, after)
            if changes:
                audit.record(obj=target, action=AuditEntry.Action.CHANGE, actor=actor, changes=changes, reason=reason)
    return target


def lift_advisory(*, actor, advisory: GovernmentAdvisory, lifted_on: date, reason: str) -> GovernmentAdvisory:
    """The government withdrew the advisory on `lifted_on`; `reason` says how we know, for the audit trail."""
    _require(actor, "platforms.change_governmentadvisory")
    problems = {}
    if lifted_on is None:
        problems["lifted_on"] = [_("Give the date it was lifted.")]
    elif lifted_on > timezone.localdate():
        problems["lifted_on"] = [_("The date is in the future.")]
    elif lifted_on < advisory.issued_on:
        problems["lifted_on"] = [_("It cannot be lifted before it was issued.")]
    if not (reason or "").strip():
        problems["reason"] = [_("Say why, or on whose word, it is lifted.")]
    _raise(problems)
    with transaction.atomic():
        change_state(
            advisory,
            to=GovernmentAdvisory.Status.LIFTED,
            actor=actor,
            reason=reason,
            also={"lifted_on": lifted_on},
            changes={"lifted_on": [None, lifted_on.isoformat()]},
            refusal=_("This advisory is already lifted."),
        )
    return advisory


def _advisory_links(advisory: GovernmentAdvisory) -> dict[str, list[str]]:
    return {
        "platforms": sorted(advisory.platforms.values_list("name", flat=True)),
        "reasons": sorted(advisory.reasons.values_list("slug", flat=True)),
    }


def _reason_rows(reasons, problems) -> list[AdvisoryReason]:
    given = list(reasons)
    slugs = [r for r in given if isinstance(r, str)]
    rows = [r for r in given if not isinstance(r, str)]
    found = {r.slug: r for r in AdvisoryReason.objects.filter(slug__in=slugs)}
    unknown = [slug for slug in slugs if slug not in found]
    if unknown:
        problems["reasons"] = [_("Unknown reason: %(slug)s") % {"slug": ", ".join(unknown)}]
    return rows + list(found.values())


# --- countries ---------------------------------------------------------------------------------


@cache
def country_names() -> dict[str, str]:
    """ISO 3166-1 alpha-2 codes and names, from the tz database's table (tzdata ships it; no network)."""
    try:
        text = (resources.files("tzdata") / "zoneinfo" / "iso3166.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        with open("/usr/share/zoneinfo/iso3166.tab", encoding="utf-8") as table:
            text = table.read()
    codes = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            code, _tab, name = line.partition("\t")
            codes[code.strip()] = name.strip()
    return codes


def _check_country(code: str, field: str, problems: dict) -> None:
    if not code:
        problems[field] = [_("Give the country's two-letter ISO 3166 code.")]
    elif not re.fullmatch(r"[A-Z]{2}", code):
        problems[field] = [_("%(code)s: a two-letter ISO 3166 code in capitals, e.g. ID") % {"code": code}]
    elif code not in country_names():
        problems[field] = [_("%(code)s: not an ISO 3166 country code") % {"code": code}]


# --- helpers -----------------------------------------------------------------------------------


def _require(actor, perm: str) -> None:
    require_actor(actor)
    if is_system(actor):
        return  # the system: demo loader, management commands (see the module docstring)
    if not actor.has_perm(perm):
        raise NotPermitted(_("You may not do this."))


def _user(actor):
    return actor if actor is not None and actor.is_authenticated else None


def _known_fields(fields: dict, allowed: list[str]) -> None:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")


def _full_clean(instance, problems: dict, exclude: list[str]) -> None:
    """Model validation (lengths, choices, URLs, uniqueness) merged with our own problems; raise if any."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            problems.setdefault(field, []).extend(messages)
    _raise(problems)


def _raise(problems: dict) -> None:
    if problems:
        field, messages = next(iter(problems.items()))
        label = "" if field == "__all__" else f"{field}: "
        raise DomainError(f"{label}{messages[0]}", fields=problems)


def _save_audited(target, before: dict | None, *, actor, reason: str) -> None:
    """Save a new or changed registry record and audit it: its creation, or what changed (`before`: its
    snapshot before the change)."""
    target.save()
    if before is None:
        audit.record_creation(target, actor=actor, reason=reason)
    else:
        _record_change(target, before, actor=actor, reason=reason)


def _record_change(instance, before: dict, *, actor, reason: str = "") -> None:
    changes = audit.diff(before, audit.snapshot(instance))
    if changes:
        audit.record(obj=instance, action=AuditEntry.Action.CHANGE, actor=actor, changes=changes, reason=reason)
