from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The shared core. Its label stays "tracker": every model of the tracker package keeps its tables."""

    name = "tracker.core"
    label = "tracker"
    verbose_name = _("Takedown tracker")

    def ready(self):
        from tracker.core import sign_in
        from tracker.core.roles import sync_role_permissions

        sign_in.connect()

        # After the last app has migrated, so every app's permissions exist.
        post_migrate.connect(sync_role_permissions, dispatch_uid="tracker.sync_role_permissions")
