"""Domain errors that services raise; the API and the views turn them into 4xx answers."""


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
