from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People's credentials and powers: API tokens, second factors, role grants, the user pages."""

    name = "tracker.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from tracker.accounts import signals  # noqa: F401 - connects the receivers
