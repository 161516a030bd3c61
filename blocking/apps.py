from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlockingConfig(AppConfig):
    name = "blocking"
    verbose_name = _("ISPs and block orders")

    def ready(self):
        from notices.signals import ladder_exhausted

        from . import checks  # noqa: F401  registers the configuration checks
        from .services import propose_block_when_ladder_runs_out

        ladder_exhausted.connect(propose_block_when_ladder_runs_out, dispatch_uid="blocking.propose_block")
