"""What notices announce to the apps above them, which register receivers in their AppConfig.ready.

Notices never import those apps: the ladder running out is announced here, and blocking answers by
opening a block proposal.
"""

from django.dispatch import Signal

# Sent inside the lapse's transaction when a notice lapses with items unresolved and no rung is left.
# Arguments: notice (the lapsed Notice), reason (str, for the record), actor (who acts: the sweep), now.
ladder_exhausted = Signal()
