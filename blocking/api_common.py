"""What the proposal, compliance and ISP registry endpoints share: one permission check per action, and a
service's refusal named as the API names its inputs. (Their error answers are documented for every operation
by tracker/core/schema.py.)"""

from rest_framework.permissions import BasePermission, IsAuthenticated

from tracker.core.errors import DomainError


class Needs(BasePermission):
    """The caller holds `permission`: the one the page for the same action asks for (blocking/views.py)."""

    def __init__(self, permission: str):
        self.permission = permission

    def has_permission(self, request, view):
        return bool(request.user and request.user.has_perm(self.permission))


def signed_in_with(permission: str) -> list[BasePermission]:
    return [IsAuthenticated(), Needs(permission)]


def renamed_fields(exc: DomainError, names: dict[str, str]) -> DomainError:
    """A service's refusal with its inputs named as this API calls them (`resolver_addresses` → `resolvers`)."""
    exc.fields = {names.get(field, field): problems for field, problems in exc.fields.items()}
    return exc
