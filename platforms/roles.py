"""What each role may do in the platform registry (tracker/core/roles.py syncs these after every migrate).

Auditors and administrators get every view permission automatically; administrators keep the registry itself
(reference data). ISPs get nothing here.
"""

from tracker.core.models import Role

VIEW = [
    "platforms.view_platform",
    "platforms.view_platformhost",
    "platforms.view_platformdomain",
    "platforms.view_platformcontact",
    "platforms.view_governmentadvisory",
    "platforms.view_advisoryreason",
]
RECORD_ADVISORIES = ["platforms.add_governmentadvisory", "platforms.change_governmentadvisory"]
KEEP_CONTACTS = ["platforms.add_platformcontact", "platforms.change_platformcontact"]

GRANTS = {
    Role.ADMINISTRATOR: [
        "platforms.add_platform",
        "platforms.change_platform",
        *KEEP_CONTACTS,
        "platforms.add_advisoryreason",
        "platforms.change_advisoryreason",
    ],
    Role.ANALYST: VIEW,
    Role.LIAISON_OFFICER: VIEW + KEEP_CONTACTS + RECORD_ADVISORIES,
    Role.SUPERVISOR: VIEW + KEEP_CONTACTS + RECORD_ADVISORIES,  # all a liaison officer may
}
