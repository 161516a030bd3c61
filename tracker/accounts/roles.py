from tracker.core.models import Role

GRANTS = {
    Role.ADMINISTRATOR: [
        "accounts.view_apitoken",
        "accounts.change_apitoken",
        "accounts.view_rolegrant",
        "accounts.add_rolegrant",
        "accounts.change_rolegrant",
    ],
    Role.AUDITOR: ["accounts.view_rolegrant"],
}
