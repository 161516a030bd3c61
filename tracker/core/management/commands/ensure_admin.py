import os
import secrets

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from tracker.core import audit
from tracker.core.actors import COMMAND
from tracker.core.models import AuditEntry, Role, User


class Command(BaseCommand):
    help = (
        "Create the first administrator if there is none. Credentials come from TRACKER_ADMIN_USERNAME and "
        "TRACKER_ADMIN_PASSWORD, or are generated and printed once."
    )

    def handle(self, *args, **options):
        if User.objects.filter(groups__name=Role.ADMINISTRATOR).exists():
            self.stdout.write("An administrator exists already.")
            return
        username = os.environ.get("TRACKER_ADMIN_USERNAME", "admin")
        password = os.environ.get("TRACKER_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        with audit.audit_context(AuditEntry.Source.COMMAND, actor_label="ensure_admin"):
            # Staff (the admin site) but not a superuser: a superuser passes every permission check, and an
            # administrator may act on no item, notice or block order (README, "Who uses it").
            user = User.objects.create_user(username=username, email="", password=password, is_staff=True)
            user.groups.add(Group.objects.get(name=Role.ADMINISTRATOR))
            audit.record(obj=user, action=AuditEntry.Action.CREATE, actor=COMMAND, reason="first administrator")
        self.stdout.write(self.style.SUCCESS(f"Administrator created: {username}"))
        if "TRACKER_ADMIN_PASSWORD" not in os.environ:
            self.stdout.write(self.style.WARNING(f"Password (shown once, change it): {password}"))
