"""The API's token authentication, over hashed, expiring, revocable tokens."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from tracker.core.preferences import use_preferences_of

from .tokens import authenticate_key


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as before; the key is looked up by its hash. The answer is in the token
    holder's language and time zone, as a signed-in page is (the middleware that sets them for pages runs
    before the API reads the token)."""

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is not None:
            use_preferences_of(found[0], request._request)
        return found

    def authenticate_credentials(self, key):
        token = authenticate_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return (token.user, token)
