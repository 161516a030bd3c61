from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = _("Notices and escalation")

    def ready(self):
        from tracker.accounts.events import powers_changed

        from .notifications import tell_supervisors_of_changed_powers

        powers_changed.connect(tell_supervisors_of_changed_powers, dispatch_uid="notices.powers_changed")
