"""The demo's supervisors have no authenticator to scan with: each gets recovery codes, printed once."""

from django_otp.plugins.otp_static.models import StaticToken

from tracker.core.actors import DEMO
from tracker.core.models import User

from . import second_factor


def load(stdout) -> None:
    for user in User.objects.filter(groups__name__in=second_factor.ROLES_NEEDING_IT).order_by("username"):
        if StaticToken.objects.filter(device__user=user).exists():
            continue  # codes were printed when the demo was first loaded
        codes = second_factor.issue_recovery_codes(actor=DEMO, user=user)
        stdout.write(f"Second-factor recovery codes for {user.username} (each works once): {' '.join(codes)}")
