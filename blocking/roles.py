from tracker.core.models import Role

GRANTS = {
    # Administrators keep the ISP registry (reference data); they never draft, approve or issue an order.
    Role.ADMINISTRATOR: [
        "blocking.add_isp",
        "blocking.change_isp",
        "blocking.add_ispaccount",
        "blocking.change_ispaccount",
        "blocking.add_zonetransferkey",  # shown once: only administrators make and rotate them
    ],
    Role.SUPERVISOR: [
        "blocking.view_blockproposal",
        "blocking.change_blockproposal",
        "blocking.view_blockorder",
        "blocking.add_blockorder",
        "blocking.change_blockorder",
        "blocking.approve_blockorder",
        "blocking.view_isp",
        "blocking.add_isp",
        "blocking.change_isp",
        "blocking.view_ispaccount",
        "blocking.view_orderrecipient",
        "blocking.view_blocklistversion",
        "blocking.view_compliancecheck",
    ],
    Role.LIAISON_OFFICER: [
        "blocking.view_blockproposal",
        "blocking.view_blockorder",
        "blocking.view_isp",
        "blocking.view_orderrecipient",
        "blocking.view_blocklistversion",
    ],
    Role.ANALYST: ["blocking.view_blockproposal", "blocking.view_blockorder", "blocking.view_blocklistversion"],
    # API only: its own orders (the API filters by the user's ISP) and the blocklist.
    Role.ISP: ["blocking.view_blockorder", "blocking.acknowledge_blockorder", "blocking.view_blocklistversion"],
}
