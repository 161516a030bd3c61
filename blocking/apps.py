from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlockingConfig(AppConfig):
    name = "blocking"
    verbose_name = _("ISPs and block orders")

    def ready(self):
        from . import checks  # noqa: F401  registers the configuration checks
