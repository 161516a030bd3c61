"""Who acts: a person (a `User`), or the system named for what it is doing.

Every service that changes a record takes `actor` and says in its docstring who may act. `None` is not
an actor: the sweep, a task, a command or the demo loader each pass a `SystemActor`, so the audit trail
names it and a service can refuse the system where only a person may decide (approving a block order).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SystemActor:
    """The tracker itself, acting as `name` (shown in the audit trail as who acted)."""

    name: str

    # Enough of a user's face for code that asks any actor these questions.
    is_authenticated = False
    pk = None

    def get_username(self) -> str:
        return self.name

    def has_perm(self, permission: str) -> bool:
        return False

    def __str__(self) -> str:
        return self.name


SWEEP = SystemActor("escalation sweep")
MAIL_DELIVERY = SystemActor("mail delivery")
INBOUND_MAIL = SystemActor("inbound mail")
BLOCKING_SCHEDULE = SystemActor("block order schedule")
IMPORT = SystemActor("bulk import")
COMMAND = SystemActor("management command")
DEMO = SystemActor("demo loader")


def is_system(actor) -> bool:
    return isinstance(actor, SystemActor)


def require_actor(actor) -> None:
    """Refuse a missing actor: a service must be told who acts."""
    if actor is None:
        raise TypeError("Say who acts: a user, or a SystemActor from tracker.core.actors (None is no one).")
