"""Escalation ladders and their steps' names in both languages (django-modeltranslation). The texts sent to a
platform have their own per-language templates (StepTranslation), chosen by the platform's language."""

from modeltranslation.translator import TranslationOptions, register

from notices.models import EscalationPolicy, EscalationStep


@register(EscalationPolicy)
class EscalationPolicyTranslation(TranslationOptions):
    fields = ("name",)


@register(EscalationStep)
class EscalationStepTranslation(TranslationOptions):
    fields = ("name",)
