"""Categories in both languages (django-modeltranslation): name and legal basis."""

from modeltranslation.translator import TranslationOptions, register

from tracker.items.models import Category


@register(Category)
class CategoryTranslation(TranslationOptions):
    fields = ("name", "legal_basis")
