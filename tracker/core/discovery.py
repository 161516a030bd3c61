"""The one way the core finds what the apps above it contribute: `<app>.<name>` modules by convention.

The core never imports a higher layer by name. Each installed project app may provide a module
such as `<app>/nav.py`, `<app>/timeline.py` or `<app>/demo.py`; these helpers find them in
INSTALLED_APPS order, which is the order of the layers (lower apps first).
"""

from collections.abc import Iterator
from functools import cache
from importlib import import_module
from pathlib import Path
from types import ModuleType

from django.apps import apps
from django.conf import settings


@cache
def project_app_names() -> tuple[str, ...]:
    """The installed apps that are this project's own (not Django's or a library's), lowest layer first."""
    root = Path(settings.BASE_DIR).resolve()
    return tuple(config.name for config in apps.get_app_configs() if Path(config.path).resolve().is_relative_to(root))


def app_modules(name: str, *, within: tuple[str, ...] = ()) -> Iterator[ModuleType]:
    """Each project app's `<app>.<name>` module that exists, then those of `within` (sub-packages, e.g. rooms)."""
    yield from _found(name, within)


@cache
def _found(name: str, within: tuple[str, ...]) -> tuple[ModuleType, ...]:
    # Looked for once per process: pages ask on every request, and a module that is absent would be
    # searched for on disk each time.
    modules = []
    for package in (*project_app_names(), *within):
        module_name = f"{package}.{name}"
        try:
            modules.append(import_module(module_name))
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
    return tuple(modules)
