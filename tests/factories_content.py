"""Builders for the registry a test needs to recognise real platforms' links."""

from platforms.models import Platform, PlatformHost, UrlRules

TELEGRAM_HOSTS = ["t.me", "telegram.me", "telegram.dog", "telegram.org"]


def telegram() -> Platform:
    platform, _ = Platform.objects.get_or_create(
        slug="telegram",
        defaults={"name": "Telegram", "operator_legal_name": "Telegram FZ-LLC", "url_rules": UrlRules.TELEGRAM},
    )
    for host in TELEGRAM_HOSTS:
        PlatformHost.objects.get_or_create(host=host, defaults={"platform": platform})
    return platform


def x_platform() -> Platform:
    platform, _ = Platform.objects.get_or_create(slug="x", defaults={"name": "X", "url_rules": UrlRules.X})
    for host in ["x.com", "twitter.com"]:
        PlatformHost.objects.get_or_create(host=host, defaults={"platform": platform})
    return platform
