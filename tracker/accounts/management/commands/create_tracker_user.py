import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker.accounts.grants import POWERFUL_ROLES
from tracker.accounts.tokens import issue_token
from tracker.core import audit
from tracker.core.actors import COMMAND
from tracker.core.models import AuditEntry, Role, User


class Command(BaseCommand):
    help = "Create a user with a role (or add the role to an existing one); optionally print an API token."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[role.value for role in Role])
        parser.add_argument("--email", default="")
        parser.add_argument("--password", help="Set this password. Without it a new user gets a generated one.")
        parser.add_argument("--token", action="store_true", help="Print the user's API token (for scripts and ISPs).")

    def handle(self, *args, username, role, email, password, token, **options):
        if role in POWERFUL_ROLES and User.objects.filter(groups__name=Role.ADMINISTRATOR, is_active=True).exists():
            # One person at a console does not make a supervisor or an administrator; two administrators do.
            raise CommandError(
                f"The {role} role is requested on the People page (/people/) and confirmed by a second "
                "administrator. The first administrator is made by ensure_admin."
            )
        if password:
            # Django's validators (settings.AUTH_PASSWORD_VALIDATORS), as every other door applies them.
            try:
                validate_password(password, User(username=username, email=email))
            except ValidationError as refused:
                raise CommandError("The password is refused: " + " ".join(refused.messages)) from None
        with audit.audit_context(AuditEntry.Source.COMMAND, actor_label="create_tracker_user"), transaction.atomic():
            user, created = User.objects.get_or_create(username=username, defaults={"email": email})
            generated = None
            if created or password:
                generated = None if password else secrets.token_urlsafe(12)
                user.set_password(password or generated)
                user.is_staff = role == Role.ADMINISTRATOR
                user.save()
            if role == Role.ISP:
                user.set_unusable_password()  # ISP accounts use the API with a token, never the UI
                user.save()
                generated = None
            user.groups.add(Group.objects.get(name=role))
            audit.record(
                obj=user,
                action=AuditEntry.Action.CREATE if created else AuditEntry.Action.CHANGE,
                actor=COMMAND,
                changes={"role": [None, role]},
                reason=f"role {role} granted on the command line",
            )
        if created:
            self.stdout.write(f"Created user {username} with role {role}.")
        else:
            self.stdout.write(f"User {username} exists; role {role} granted.")
        if generated:
            self.stdout.write(f"Password (shown once): {generated}")
        if token:
            _token, key = issue_token(actor=COMMAND, owner=user, name="issued by create_tracker_user")
            self.stdout.write(f"API token (shown once; valid {settings.API_TOKEN_DAYS} days): {key}")
