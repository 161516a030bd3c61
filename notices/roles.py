from tracker.core.models import Role

_READ = [
    "notices.view_escalationpolicy",
    "notices.view_escalationstep",
    "notices.view_steptranslation",
    "notices.view_notice",
    "notices.view_noticeitem",
    "notices.view_delivery",
    "notices.view_deliveryattempt",
    "notices.view_deliveryreport",
    "notices.view_platformreply",
    "notices.view_replyattachment",
    "notices.view_inboundmail",
    "notices.view_rebuttal",
    "notices.view_rebuttalattachment",
    "notices.view_sanction",
]
# The contact log: read by whoever reads cases (auditors and administrators read every view_* anyway).
_READ_CONTACTS = ["notices.view_contactentry", "notices.view_contactattachment"]
_LIAISON_WORK = [
    "notices.send_notice",
    "notices.add_platformreply",
    "notices.triage_inboundmail",
    "notices.add_rebuttal",
    "notices.add_contactentry",
]

GRANTS = {
    # Administrators keep the ladders' reference data (policies, steps and their texts, in the admin).
    Role.ADMINISTRATOR: [
        "notices.add_escalationpolicy",
        "notices.change_escalationpolicy",
        "notices.add_escalationstep",
        "notices.change_escalationstep",
        "notices.add_steptranslation",
        "notices.change_steptranslation",
    ],
    Role.LIAISON_OFFICER: [*_READ, *_READ_CONTACTS, *_LIAISON_WORK],
    # Supervisors decide rebuttals and keep the sanctions register; liaison officers only record them.
    Role.SUPERVISOR: [
        *_READ,
        *_READ_CONTACTS,
        *_LIAISON_WORK,
        "notices.decide_rebuttal",
        "notices.manage_sanction",
        "notices.change_escalationpolicy",
    ],
    Role.ANALYST: ["notices.view_notice", "notices.view_noticeitem", "notices.view_platformreply", *_READ_CONTACTS],
}

# Re-checks of content (rechecks.py): those who work on items ask for them; everyone who reads notices reads them.
for _role in (Role.ANALYST, Role.LIAISON_OFFICER, Role.SUPERVISOR):
    GRANTS[_role] += ["notices.request_contentcheck", "notices.view_contentcheck"]
GRANTS[Role.ADMINISTRATOR] += [
    "notices.add_platformpagerule",
    "notices.change_platformpagerule",
    "notices.delete_platformpagerule",
]
