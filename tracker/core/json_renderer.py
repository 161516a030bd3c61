"""The API's JSON renderer. A module of its own: DRF imports it from settings while its views module loads."""

import orjson
from rest_framework import renderers


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSONRenderer, encoding with orjson: the same bytes (tests/api/test_json_renderer.py), at a fifth
    of the cost of the json module, a twentieth of a list's answer. Times, dates and whatever orjson does not
    know are written by DRF's own encoder, and an answer orjson refuses (a number beyond 64 bits, a key that
    is not text) by DRF itself; indented answers (`; indent=4`) are DRF's too. One difference: a float that
    is not a number is written as null, where DRF's strict JSON would fail the request."""

    _encoder = renderers.JSONRenderer.encoder_class()
    _options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None or self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            encoded = orjson.dumps(data, default=self._encoder.default, option=self._options)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        # As DRF: the two line separators JavaScript reads as line ends, escaped.
        return encoded.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
