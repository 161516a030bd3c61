"""Test data for bulk imports: the platforms whose links an import recognises, and uploads."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from platforms.models import Platform, PlatformHost, UrlRules
from tracker.items.models import Category

REGISTRY = {
    "telegram": ("Telegram", UrlRules.TELEGRAM, ["t.me", "telegram.me", "telegram.dog"]),
    "x": ("X", UrlRules.X, ["x.com", "twitter.com"]),
    "youtube": ("YouTube", UrlRules.YOUTUBE, ["youtube.com", "www.youtube.com", "youtu.be", "m.youtube.com"]),
    "facebook": ("Facebook", UrlRules.FACEBOOK, ["facebook.com", "www.facebook.com", "m.facebook.com", "fb.com"]),
}


def platforms() -> dict[str, Platform]:
    """Telegram, X, YouTube and Facebook with their hosts, by slug (safe to call twice)."""
    found = {}
    for slug, (name, rules, hosts) in REGISTRY.items():
        platform, _ = Platform.objects.get_or_create(slug=slug, defaults={"name": name, "url_rules": rules})
        for host in hosts:
            PlatformHost.objects.get_or_create(host=host, defaults={"platform": platform})
        found[slug] = platform
    return found


def terrorism() -> Category:
    """The seeded category; created again when a transactional test's flush has removed the seed."""
    category, _ = Category.objects.get_or_create(
        slug="terrorism",
        defaults={"name": "Terrorism", "legal_basis": "Law 5/2018 on terrorism", "default_urgency": "urgent"},
    )
    return category


def csv_upload(rows: list[list[str]], *, name: str = "items.csv", header=("url",)) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


def raw_upload(data: bytes, *, name: str = "items.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def mixed_urls(count: int, *, seed: int = 2017, generic_hosts: list[str] | None = None) -> list[str]:
    """`count` distinct addresses spread over Telegram, X, YouTube, Facebook and generic web sites."""
    hosts = generic_hosts or [f"site{n}.example" for n in range(1, 500)]
    urls = []
    for n in range(count):
        kind = n % 5
        token = f"{n:07d}{'abcdefghij'[(n + seed) % 10]}"
        if kind == 0:
            urls.append(f"https://t.me/chan_{token}")
        elif kind == 1:
            urls.append(f"https://twitter.com/user{n % 100000}/status/{10**15 + n}")
        elif kind == 2:
            urls.append(f"https://www.youtube.com/watch?v={token[-8:]}{n % 1000:03d}")
        elif kind == 3:
            urls.append(f"https://www.facebook.com/page.{token}")
        else:
            urls.append(f"https://{hosts[n % len(hosts)]}/article/{token}?utm_source=wa")
    return urls
