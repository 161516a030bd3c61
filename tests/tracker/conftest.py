import pytest
import time_machine

from tests.factories_figures import NOW, figures_world


@pytest.fixture
def frozen_now():
    """The figures' tests' "now" (5 December 2026, 03:00 UTC), held still for the whole test."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def quarter(frozen_now):
    """The hand-counted fourth quarter of 2026 (tests/factories_figures.py)."""
    return figures_world()
