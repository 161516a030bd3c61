"""Advisory reasons in both languages (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from platforms.models import AdvisoryReason


@register(AdvisoryReason)
class AdvisoryReasonTranslation(TranslationOptions):
    fields = ("name",)
