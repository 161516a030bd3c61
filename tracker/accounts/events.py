"""What other apps may hear from accounts (they connect; accounts never imports them)."""

from django.dispatch import Signal

# Sent after commit when a powerful role is requested or confirmed, or a break-glass superuser is made or
# ended: `event` ("requested", "confirmed", "break_glass", "break_glass_ended"), `user` (whose powers), and
# `grant` (the RoleGrant) for requests. notices tells every supervisor.
powers_changed = Signal()
