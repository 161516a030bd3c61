"""The API's token authentication, over hashed, expiring, revocable tokens."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from .tokens import authenticate_key


class ApiTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, as before; the key is looked up by its hash."""

    def authenticate_credentials(self, key):
        token = authenticate_key(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        return (token.user, token)
