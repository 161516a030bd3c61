"""Test data for the platform registry beyond tests/factories.py: government advisories."""

from datetime import date

import factory

from platforms.models import AdvisoryReason, GovernmentAdvisory


class AdvisoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GovernmentAdvisory
        skip_postgeneration_save = True

    authority = factory.Sequence(lambda n: f"Ministry {n}")
    country = "ID"
    issued_on = date(2020, 4, 1)
    scope = "all personnel"
    measure = GovernmentAdvisory.Measure.PROHIBITED

    @factory.post_generation
    def platforms(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.platforms.set(extracted)

    @factory.post_generation
    def reasons(obj, create, extracted, **kwargs):
        """Slugs of the seeded reasons."""
        if create and extracted:
            obj.reasons.set(AdvisoryReason.objects.filter(slug__in=extracted))
