"""Demo people, one per role, all with the password printed by `make run`."""

import os

from django.contrib.auth.models import Group

from tracker.core import audit
from tracker.core.actors import DEMO
from tracker.core.models import Role, User

DEMO_PASSWORD = os.environ.get("TRACKER_DEMO_PASSWORD", "demo-password-2017")
DEMO_USERS = [
    ("analyst", "Ayu", "Analyst", Role.ANALYST),
    ("analyst2", "Budi", "Second Analyst", Role.ANALYST),
    ("liaison", "Lina", "Liaison", Role.LIAISON_OFFICER),
    ("supervisor", "Sari", "Supervisor", Role.SUPERVISOR),
    ("supervisor2", "Tono", "Second Supervisor", Role.SUPERVISOR),
    ("auditor", "Adi", "Auditor", Role.AUDITOR),
]


def load(stdout) -> None:
    for username, first, last, role in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@ministry.invalid"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            audit.record_creation(user, actor=DEMO, reason=f"demo account ({role.label})")
        user.groups.add(Group.objects.get(name=role))
    stdout.write(f"Demo users: {', '.join(u[0] for u in DEMO_USERS)} (password: {DEMO_PASSWORD})")
