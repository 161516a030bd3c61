"""Conventions the whole code base keeps, checked over its source so a slip fails the suite."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("tracker", "platforms", "notices", "blocking")


def application_sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def offending_lines(pattern: re.Pattern, sources) -> list[str]:
    found = []
    for path in sources:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                found.append(f"{shown}:{number}: {line.strip()}")
    return found


SETTINGS_WITH_A_DEFAULT = re.compile(r"getattr\(\s*settings\s*,")


def test_each_setting_has_its_default_once_in_the_settings_module():
    assert offending_lines(SETTINGS_WITH_A_DEFAULT, application_sources()) == []


def test_a_default_given_where_a_setting_is_read_is_found(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('from django.conf import settings\n\nBATCH = getattr(settings, "NOTICES_SWEEP_BATCH", 500)\n')
    assert offending_lines(SETTINGS_WITH_A_DEFAULT, [planted]) == [
        f'{planted}:3: BATCH = getattr(settings, "NOTICES_SWEEP_BATCH", 500)'
    ]
