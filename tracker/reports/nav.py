from django.utils.translation import gettext_lazy as _

from tracker.core.navigation import NavEntry

from .access import READ_FIGURES

ENTRIES = [NavEntry(_("Figures"), "figures", READ_FIGURES, order=70)]
