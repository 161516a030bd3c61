"""The pages of this release speak Bahasa Indonesia to a person whose language is `id`: the second factor,
API tokens and the People pages."""

import pytest
from django.urls import reverse

from tests.services import require

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


def test_the_indonesian_catalogue_is_complete_and_compiled(tmp_path):
    """Every string has its Indonesian, none is left fuzzy, placeholders match, and the shipped .mo is the .po's."""
    import gettext
    import shutil
    import subprocess
    from pathlib import Path

    from django.conf import settings

    missing = [tool for tool in ("msgattrib", "msgfmt") if shutil.which(tool) is None]
    require("gettext", not missing, f"{' and '.join(missing)} not installed (apt-get install gettext)")
    po = Path(settings.BASE_DIR) / "locale" / "id" / "LC_MESSAGES" / "django.po"
    for option in ("--untranslated", "--only-fuzzy"):
        left = subprocess.run(["msgattrib", option, str(po)], capture_output=True, text=True, check=True).stdout
        assert left.count("\nmsgid ") <= 1, f"{option}:\n{left[:2000]}"  # the header's msgid "" only
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(compiled), str(po)], check=True)
    with compiled.open("rb") as fresh, po.with_suffix(".mo").open("rb") as shipped:
        assert gettext.GNUTranslations(fresh)._catalog == gettext.GNUTranslations(shipped)._catalog
