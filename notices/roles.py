from tracker.models.accounts import Role

_READ = [
    "notices.view_escalationpolicy",
    "notices.view_escalationstep",
    "notices.view_steptranslation",
    "notices.view_notice",
    "notices.view_noticeitem",
    "notices.view_delivery",
    "notices.view_deliveryattempt",
    "notices.view_platformreply",
]

GRANTS = {
    Role.LIAISON_OFFICER: [*_READ, "notices.send_notice", "notices.add_platformreply"],
    Role.SUPERVISOR: [*_READ, "notices.send_notice", "notices.add_platformreply"],
    Role.ANALYST: ["notices.view_notice", "notices.view_noticeitem", "notices.view_platformreply"],
}
