"""Writes and state transitions of flagged items. The item state machine lives here only.

Logging an item canonicalises what the analyst entered (tracker/canonical.py), recognises
the platform from the host registry, and either creates the item or, when the same
canonical form is already known, adds a sighting to it: one item, many reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from platforms.models import Platform, PlatformHost
from tracker.core import audit
from tracker.core.canonical import CanonicalItem, InvalidItem, canonicalise
from tracker.core.errors import DomainError, NotPermitted, require_permission
from tracker.core.models import AuditEntry
from tracker.core.states import change_state
from tracker.items.models import Category, FlaggedItem, Sighting, Urgency

Status = FlaggedItem.Status

EDITABLE_FIELDS = ("category", "urgency", "language", "description")


@dataclass(frozen=True)
class HostRegistry:
    """The platform registry's hosts, as canonicalise() and platform recognition need them."""

    rules: dict[str, str]  # host -> the platform's URL rules
    platform_ids: dict[str, int]  # host -> platform id

    @classmethod
    def load(cls) -> HostRegistry:
        rules, platform_ids = {}, {}
        for host, platform_id, url_rules in PlatformHost.objects.values_list(
            "host", "platform_id", "platform__url_rules"
        ):
            rules[host] = url_rules
            platform_ids[host] = platform_id
        return cls(rules=rules, platform_ids=platform_ids)


def recognise(
    entered: str, *, registry: HostRegistry, handle_platform: Platform | None = None
) -> tuple[CanonicalItem, int | None]:
    """The canonical form of `entered` and the id of its platform (None: an unknown host, "other").

    `handle_platform` is the platform a bare @handle belongs to. Raises InvalidItem.
    """
    handle_rules = handle_platform.url_rules if handle_platform else None
    canonical = canonicalise(entered, hosts=registry.rules, handle_rules=handle_rules)
    if canonical.registry_host is not None:
        return canonical, registry.platform_ids[canonical.registry_host]
    # A handle (@name, tg://...) comes back on its platform's canonical host, e.g. t.me.
    platform_id = registry.platform_ids.get(canonical.host)
    if platform_id is None and handle_platform is not None and _is_handle(entered):
        platform_id = handle_platform.pk
    return canonical, platform_id


def canonical_or_none(typed: str) -> str | None:
    """The canonical form of what someone typed into a search box, if it reads as an item (a URL, a host, a
    handle): `t.me/s/name`, `https://telegram.me/name/` and `@name` all give `https://t.me/name`. None otherwise."""
    if not any(mark in typed for mark in "./:@"):
        return None
    try:
        canonical, _platform_id = recognise(typed.strip(), registry=HostRegistry.load())
    except InvalidItem:
        return None
    return canonical.canonical


def text_matches(typed: str) -> Q:
    """Items whose address or description contains what was typed, as typed or in its canonical form (each served
    by a trigram index on PostgreSQL, migration tracker.0004)."""
    typed = typed.strip()
    matches = Q(canonical__icontains=typed) | Q(description__icontains=typed)
    canonical = canonical_or_none(typed)
    if canonical:
        matches |= Q(canonical__icontains=canonical)
    return matches


def _is_handle(entered: str) -> bool:
    return entered.strip().startswith(("@", "tg:"))


def effective_urgency(category: Category, requested: str = "") -> str:
    """The category's default, raised to urgent if asked; an analyst may raise urgency, never lower it."""
    if requested and requested not in Urgency.values:
        raise DomainError(
            _("Unknown urgency: %(value)s") % {"value": requested},
            fields={"urgency": [_("choose urgent or normal")]},
        )
    if requested == Urgency.NORMAL and category.default_urgency == Urgency.URGENT:
        message = _("Items of category %(category)s are always urgent.") % {"category": category.name}
        raise DomainError(message, fields={"urgency": [message]})
    return Urgency.URGENT if Urgency.URGENT in (requested, category.default_urgency) else Urgency.NORMAL


def log_item(
    *,
    actor,
    url: str,
    category: Category,
    source: str,
    urgency: str = "",
    language: str = "",
    description: str = "",
    handle_platform: Platform | None = None,
    note: str = "",
    registry: HostRegistry | None = None,
) -> tuple[FlaggedItem, bool]:
    """Log what an analyst found: a new item, or a sighting of the item it already is.

    Returns (item, created). Nothing is saved when the input is refused.
    """
    require_permission(actor, "tracker.add_flaggeditem")
    problems = {}
    if category is None or not category.is_active:
        problems["category"] = [_("Choose an active category.")]
    if source not in FlaggedItem.Source.values:
        problems["source"] = [_("Choose a source: %(choices)s") % {"choices": ", ".join(FlaggedItem.Source.values)}]
    try:
        canonical, platform_id = recognise(
            url, registry=registry or HostRegistry.load(), handle_platform=handle_platform
        )
    except InvalidItem as exc:
        problems["url"] = [exc.message]
    if problems:
        raise DomainError(next(iter(problems.values()))[0], fields=problems)
    level = effective_urgency(category, urgency)
    now = timezone.now()
    with transaction.atomic():
        existing = FlaggedItem.objects.select_for_update().filter(canonical=canonical.canonical).first()
        if existing is None:
            try:
                with transaction.atomic():
                    item = FlaggedItem.objects.create(
                        canonical=canonical.canonical,
                        display=canonical.display,
                        entered_as=url.strip()[:2048],
                        kind=canonical.kind,
                        platform_id=platform_id,
                        host=canonical.host,
                        category=category,
                        urgency=level,
                        source=source,
                        language=language,
                        description=description,
                        logged_by=actor,
                        logged_at=now,
                        status_changed_at=now,
                        last_reported_at=now,
                    )
                    _add_sighting(item, actor=actor, entered=url, source=source, note=note, at=now)
                    audit.record_creation(item, actor=actor)
                    return item, True
            except IntegrityError:
                # Another analyst logged the same canonical form a moment ago: report it as a sighting.
                existing = FlaggedItem.objects.select_for_update().get(canonical=canonical.canonical)
        return report_again(existing, actor=actor, entered=url, source=source, urgency=level, note=note, at=now), False


def report_again(
    item: FlaggedItem,
    *,
    actor,
    entered: str,
    source: str,
    urgency: str = "",
    note: str = "",
    at: datetime | None = None,
) -> FlaggedItem:
    """A second (third, ...) report of a known item adds a sighting; it may raise the item's urgency."""
    at = at or timezone.now()
    _add_sighting(item, actor=actor, entered=entered, source=source, note=note, at=at)
    updates = {"sighting_count": F("sighting_count") + 1, "last_reported_at": at}
    changes = {}
    if urgency == Urgency.URGENT and item.urgency != Urgency.URGENT:
        updates["urgency"] = Urgency.URGENT
        changes["urgency"] = [item.urgency, Urgency.URGENT]
    FlaggedItem.objects.filter(pk=item.pk).update(**updates)
    item.refresh_from_db(fields=["sighting_count", "last_reported_at", "urgency"])
    audit.record(
        obj=item,
        action=AuditEntry.Action.EVENT,
        actor=actor,
        changes=changes,
        reason=_("reported again as %(entered)s") % {"entered": entered.strip()[:500]},
    )
    return item


def _add_sighting(item, *, actor, entered, source, note, at) -> Sighting:
    return Sighting.objects.create(
        item=item, entered_as=entered.strip()[:2048], source=source, reported_by=actor, reported_at=at, note=note
    )


def edit_item(item: FlaggedItem, *, actor, reason: str = "", **fields) -> FlaggedItem:
    """Change an item's category, urgency, language or description; the change is audited field by field."""
    require_permission(actor, "tracker.change_flaggeditem")
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise DomainError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            fields={name: [_("read-only")] for name in unknown},
        )
    with transaction.atomic():
        locked = FlaggedItem.objects.select_for_update().get(pk=item.pk)
        category = fields.get("category", locked.category)
        if "category" in fields and (category is None or not category.is_active):
            raise DomainError(_("Choose an active category."), fields={"category": [_("Choose an active category.")]})
        if "urgency" in fields or "category" in fields:
            requested = fields.get("urgency", locked.urgency)
            fields["urgency"] = effective_urgency(category, requested)
        audit.save_changes(locked, fields, actor=actor, reason=reason)
    return locked


def verify_item(item: FlaggedItem, *, actor, reason: str = "") -> FlaggedItem:
    """A second analyst or a supervisor confirms the item is unlawful; never the one who logged it."""
    require_permission(actor, "tracker.verify_flaggeditem")
    if item.logged_by_id == actor.pk:
        raise NotPermitted(
            _("You logged this item: another analyst or a supervisor must verify it."),
            fields={"status": [_("four eyes: not the one who logged it")]},
        )
    with transaction.atomic():
        item = change_item_status(item, to_status=Status.VERIFIED, actor=actor, reason=reason)
        FlaggedItem.objects.filter(pk=item.pk).update(verified_by=actor, verified_at=item.status_changed_at)
        item.verified_by, item.verified_at = actor, item.status_changed_at
    return item


def change_item_status(item: FlaggedItem, *, to_status: str, actor, reason: str = "") -> FlaggedItem:
    """Move an item along its state machine (FlaggedItem.STATE_MACHINE) and audit the move.

    Who may: whoever the calling service let act (a person with the right to change items, or the system
    recording a platform's answer). Raises TransitionNotAllowed otherwise.
    """
    return change_state(
        item,
        to=to_status,
        actor=actor,
        reason=reason,
        also={"status_changed_at": timezone.now()},
        refusal=_("An item that is %(from)s cannot become %(to)s."),
    )


# --- categories: the managed list, kept by administrators ---------------------------------------------

CATEGORY_FIELDS = ("slug", "name", "legal_basis", "default_urgency", "is_active")


def create_category(*, actor, reason: str = "", **fields) -> Category:
    """Add a category (administrators: tracker.add_category); the slug is made from the name if not given."""
    require_permission(actor, "tracker.add_category")
    if not fields.get("slug"):
        fields["slug"] = slugify(fields.get("name", ""))[: Category._meta.get_field("slug").max_length]
    with transaction.atomic():
        category = Category(**fields)
        _validate(category)
        category.save()
        audit.record_creation(category, actor=actor, reason=reason)
    return category


def change_category(category: Category, *, actor, reason: str = "", **fields) -> Category:
    """Rename, reword, set the default urgency of, retire or bring back a category (tracker.change_category).

    Items keep the urgency they were logged with; a retired category (`is_active` false) takes no new items.
    Categories are never deleted: items refer to them.
    """
    require_permission(actor, "tracker.change_category")
    with transaction.atomic():
        locked = Category.objects.select_for_update().get(pk=category.pk)
        before = audit.snapshot(locked)
        for name, value in fields.items():
            setattr(locked, name, value)
        _validate(locked)
        locked.save()
        changes = audit.diff(before, audit.snapshot(locked))
        if changes:
            audit.record(obj=locked, action=AuditEntry.Action.CHANGE, actor=actor, changes=changes, reason=reason)
    return locked


def _validate(category: Category) -> None:
    """The model's own rules (lengths, choices, a free slug) as a DomainError naming the fields."""
    try:
        category.full_clean()
    except ValidationError as exc:
        fields = exc.message_dict
        name, messages = next(iter(fields.items()))
        raise DomainError(f"{name}: {messages[0]}", fields=fields) from None
