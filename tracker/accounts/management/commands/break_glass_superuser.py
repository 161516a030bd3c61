import secrets

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker.accounts.events import powers_changed
from tracker.core import audit
from tracker.core.actors import COMMAND
from tracker.core.models import AuditEntry, User


class Command(BaseCommand):
    help = (
        "Emergency only: make a Django superuser, who passes every permission check, for a stated reason. "
        "It is audited and every supervisor is told. End it with --end as soon as the emergency is over."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why: kept in the audit trail and told to supervisors")
        parser.add_argument("--end", action="store_true", help="take the superuser status away again")

    def handle(self, *args, username, reason, end, **options):
        if not reason.strip():
            raise CommandError("Say why (--reason).")
        with audit.audit_context(AuditEntry.Source.COMMAND, actor_label="break_glass_superuser"), transaction.atomic():
            if end:
                user = User.objects.filter(username=username, is_superuser=True).first()
                if user is None:
                    raise CommandError(f"{username} is not a superuser.")
                user.is_superuser = user.is_staff = user.is_active = False
                user.set_unusable_password()
                user.save()
                event, password = "break_glass_ended", None
            else:
                if User.objects.filter(username=username).exists():
                    raise CommandError(f"{username} exists: a break-glass account is always a new one.")
                password = secrets.token_urlsafe(18)
                user = User.objects.create_user(username=username, password=password, is_staff=True, is_superuser=True)
                event = "break_glass"
            audit.record(obj=user, action=AuditEntry.Action.EVENT, actor=COMMAND, reason=f"{event}: {reason}")
            transaction.on_commit(lambda: powers_changed.send(sender=User, user=user, event=event, reason=reason))
        if password:
            self.stdout.write(f"Superuser {username} created; password (shown once): {password}")
            self.stdout.write("Every supervisor has been told. End it with --end when the emergency is over.")
        else:
            self.stdout.write(f"{username} is no longer a superuser, and is deactivated.")
