"""What each role may do, as Django permissions on the role's group.

Each project app lists its grants in `<app>/roles.py` as `GRANTS = {role: [perm, ...]}`
with perms as "app_label.codename". Auditors additionally get every `view_*`
permission of the project apps; administrators get every permission of them.
`sync_role_permissions` runs after every migrate, so a new model's permissions
reach the roles without a hand-written migration.
"""

from django.contrib.auth.models import Group, Permission

from tracker.core.discovery import app_modules
from tracker.core.models import Role

# The app labels whose permissions the roles are made of (the tracker package's rooms all use "tracker").
PROJECT_APP_LABELS = ("tracker", "accounts", "platforms", "notices", "blocking", "reports")
AUDIT_WRITE_PERMISSIONS = ("add_auditentry", "change_auditentry", "delete_auditentry")

_READ_CONTENT = [
    "tracker.view_category",
    "tracker.view_flaggeditem",
    "tracker.view_sighting",
    "tracker.view_evidence",
    "tracker.view_evidencefile",
    "tracker.view_case",
    "tracker.view_caseitem",
    "tracker.view_itemimport",
    "tracker.view_importrejection",
]
_WRITE_CONTENT = [
    "tracker.add_flaggeditem",
    "tracker.change_flaggeditem",
    "tracker.verify_flaggeditem",
    "tracker.add_sighting",
    "tracker.add_evidence",
    "tracker.add_case",
    "tracker.change_case",
    "tracker.add_itemimport",
]

GRANTS = {
    Role.ADMINISTRATOR: [
        "tracker.add_user",
        "tracker.change_user",
        "tracker.add_category",
        "tracker.change_category",
    ],
    Role.ANALYST: [*_READ_CONTENT, *_WRITE_CONTENT],
    Role.LIAISON_OFFICER: list(_READ_CONTENT),
    Role.SUPERVISOR: [*_READ_CONTENT, *_WRITE_CONTENT, "tracker.view_auditentry"],
    Role.ISP: [],
}


def collect_grants() -> dict[str, set[str]]:
    merged: dict[str, set[str]] = {role.value: set() for role in Role}
    for module in app_modules("roles"):
        for role, perms in getattr(module, "GRANTS", {}).items():
            merged[str(role)].update(perms)
    return merged


def _permissions(qualified: set[str]) -> list[Permission]:
    wanted = {tuple(name.split(".", 1)) for name in qualified}
    found = Permission.objects.filter(content_type__app_label__in={app for app, _ in wanted}).select_related(
        "content_type"
    )
    return [perm for perm in found if (perm.content_type.app_label, perm.codename) in wanted]


def sync_role_permissions(**kwargs) -> None:
    """Create the role groups and set their permissions to exactly what the grants say."""
    grants = collect_grants()
    project_perms = Permission.objects.filter(content_type__app_label__in=PROJECT_APP_LABELS)
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        if role == Role.ADMINISTRATOR:
            # Administrators manage people, their roles and the reference data, and read everything; they act
            # on no item, notice or order (separation of powers), and cannot rewrite history.
            perms = (
                list(project_perms.filter(codename__startswith="view_"))
                # Roles are given through role grants (tracker/accounts/grants.py), never by editing a group.
                + list(Permission.objects.filter(content_type__app_label="auth", codename__startswith="view_"))
                + _permissions(grants[role.value])
            )
        elif role == Role.AUDITOR:
            perms = list(project_perms.filter(codename__startswith="view_"))
        else:
            perms = _permissions(grants[role.value])
        group.permissions.set(perms)
