"""Domain errors that services raise; the API and the views turn them into 4xx answers."""

from django.utils.translation import gettext as _

from tracker.core.actors import is_system


class DomainError(Exception):
    """A request the rules refuse. `fields` names the inputs at fault, if any."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code


class TransitionNotAllowed(DomainError):
    status_code = 409
    code = "transition_not_allowed"


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"


def require_permission(actor, permission: str, *, system_may: bool = False) -> None:
    """Services check permissions again, whatever door (view, API, task) called them.

    A person needs `permission`; the system (a SystemActor) acts only where the service says it may.
    """
    if system_may and is_system(actor):
        return
    if actor is None or not actor.has_perm(permission):
        raise NotPermitted(_("You do not have permission for this."))


def show_on_form(form, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's refusal on the form fields it names, or on the form as a whole."""
    placed = False
    for field, problems in exc.fields.items():
        field = (aliases or {}).get(field, field)
        if field in form.fields:
            for problem in problems:
                form.add_error(field, problem)
            placed = True
    if not placed:
        form.add_error(None, exc.message)
