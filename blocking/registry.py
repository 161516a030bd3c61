"""The ISP registry's finer doors: one API account linked or unlinked, the resolvers replaced.

Each is `services.save_isp` (which checks the permission, validates and audits) given the whole new list, under a
lock on the ISP so two changes at once cannot lose one another.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from tracker.core.errors import DomainError, require_permission

from . import services
from .models import ISP


def resolver_lines(isp: ISP) -> list[str]:
    """The resolver addresses as entered, one per non-empty line (the order `ISP.resolvers()` parses them in)."""
    return [line.strip() for line in isp.resolver_addresses.splitlines() if line.strip()]


def resolver_rows(isp: ISP) -> list[dict]:
    """Each resolver a compliance check queries: the address as entered, and the host and port it means."""
    return [
        {"address": line, "host": host, "port": port}
        for line, (host, port) in zip(resolver_lines(isp), isp.resolvers(), strict=True)
    ]


def set_resolvers(*, isp: ISP, addresses: list[str], actor) -> ISP:
    """Replace the resolvers compliance checks query for this ISP (an empty list: none, so it is not checked)."""
    return services.save_isp(actor=actor, isp=isp, resolver_addresses="\n".join(line.strip() for line in addresses))


def link_account(*, isp: ISP, username: str, actor) -> ISP:
    """Let a user in the ISP role read and report on this ISP's orders (linked already: nothing changes)."""
    require_permission(actor, "blocking.change_isp")
    with transaction.atomic():
        isp, current = _locked_with_accounts(isp)
        if username in current:
            return isp
        return services.save_isp(actor=actor, isp=isp, account_usernames=[*current, username])


def unlink_account(*, isp: ISP, username: str, actor) -> ISP:
    """The user no longer reads or reports on this ISP's orders (the user account itself stays)."""
    require_permission(actor, "blocking.change_isp")
    with transaction.atomic():
        isp, current = _locked_with_accounts(isp)
        if username not in current:
            message = _("%(user)s is not an API account of %(isp)s.") % {"user": username, "isp": isp.name}
            raise DomainError(message, fields={"username": [message]})
        return services.save_isp(actor=actor, isp=isp, account_usernames=[name for name in current if name != username])


def _locked_with_accounts(isp: ISP) -> tuple[ISP, list[str]]:
    isp = ISP.objects.select_for_update().get(pk=isp.pk)
    return isp, list(isp.accounts.order_by("user__username").values_list("user__username", flat=True))
