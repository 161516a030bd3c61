"""Request bodies: what every API input serializer is built on."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class RefuseUnknownFields:
    """A request body's field the endpoint does not take is refused by name, never silently ignored."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            # The browsable API's forms carry Django's CSRF token beside the fields.
            unknown = sorted(set(data.keys()) - set(self.fields) - {"csrfmiddlewaretoken"})
            if unknown:
                raise serializers.ValidationError({name: [_("This field is not taken here.")] for name in unknown})
        return super().to_internal_value(data)


class InputSerializer(RefuseUnknownFields, serializers.Serializer):
    """The base of every request body the API reads."""
