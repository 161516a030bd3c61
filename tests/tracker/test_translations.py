"""The pages of this release speak Bahasa Indonesia to a person whose language is `id`: the second factor,
API tokens and the People pages."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def in_indonesian(user):
    user.language = "id"
    user.save(update_fields=["language"])
    return user


def test_tokens_and_people_pages_in_indonesian(client, make_user):
    admin = in_indonesian(make_user("administrator", is_staff=True))
    client.force_login(admin)
    assert "Token API Anda" in client.get(reverse("api-tokens")).content.decode()
    assert "Undang seseorang" in client.get(reverse("people")).content.decode()


def test_the_second_factor_setup_in_indonesian(client, make_user):
    from django.contrib.auth.models import Group

    from tests.factories import PASSWORD, UserFactory

    person = in_indonesian(UserFactory())
    person.groups.add(Group.objects.get(name="supervisor"))
    client.post(reverse("login"), {"username": person.username, "password": PASSWORD})
    assert "Siapkan faktor kedua Anda" in client.get(reverse("second-factor")).content.decode()
