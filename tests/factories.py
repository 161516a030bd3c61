"""Test data builders (factory_boy). Each app's tests add theirs here."""

import factory
from django.contrib.auth.models import Group
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from platforms.models import Platform, PlatformContact, PlatformDomain, PlatformHost
from tracker.cases.models import Case
from tracker.core.actors import COMMAND
from tracker.core.models import User
from tracker.items.models import Category, FlaggedItem

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@ministry.invalid")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_user(role: str | None = None, **fields) -> User:
    """A user with a role; supervisors and administrators get an authenticator, as they must have one."""
    user = UserFactory(**fields)
    if role:
        user.groups.add(Group.objects.get(name=role))
    if role in ("supervisor", "administrator"):
        TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


def second_factor_code(user: User) -> str:
    """A code the user's second factor accepts, once: a fresh recovery code (a TOTP code may be used once per
    30 s, and tests approve several orders within a second; tests/core/test_second_factor.py drives TOTP)."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="recovery codes", defaults={"confirmed": True})
    return StaticToken.objects.create(device=device, token=StaticToken.random_token()).token


def api_token(user: User, name: str = "test") -> str:
    """The key of a new API token for `user`, issued as an administrator would."""
    from tracker.accounts.tokens import issue_token

    return issue_token(actor=COMMAND, owner=user, name=name)[1]


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Platform {n}")
    slug = factory.Sequence(lambda n: f"platform-{n}")
    operator_legal_name = factory.LazyAttribute(lambda p: f"{p.name} Ltd")
    home_country = "AE"


class PlatformHostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlatformHost

    platform = factory.SubFactory(PlatformFactory)
    host = factory.Sequence(lambda n: f"host{n}.example")


class PlatformDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlatformDomain

    platform = factory.SubFactory(PlatformFactory)
    name = factory.Sequence(lambda n: f"name{n}.example")


class PlatformContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlatformContact

    platform = factory.SubFactory(PlatformFactory)
    role = PlatformContact.Role.ABUSE
    email = factory.Sequence(lambda n: f"abuse{n}@platform.example")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = "terrorism"
    name = "Terrorism"
    legal_basis = "Law 5/2018 on counter-terrorism"
    default_urgency = "urgent"


class FlaggedItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FlaggedItem

    canonical = factory.Sequence(lambda n: f"https://t.me/channel{n}")
    display = factory.LazyAttribute(lambda item: item.canonical)
    entered_as = factory.LazyAttribute(lambda item: item.canonical)
    kind = FlaggedItem.Kind.CHANNEL
    platform = factory.SubFactory(PlatformFactory)
    host = "t.me"
    category = factory.SubFactory(CategoryFactory)
    urgency = "urgent"
    source = FlaggedItem.Source.PATROL
    logged_by = factory.LazyFunction(lambda: make_user("analyst"))


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    title = factory.Sequence(lambda n: f"Case {n}")
    platform = factory.SubFactory(PlatformFactory)
    owner = factory.LazyFunction(lambda: make_user("liaison_officer"))
