from tracker.core.models import Role

# Supervisors draft reports and approve each other's (never their own); the staff who read figures read them.
GRANTS = {
    Role.SUPERVISOR: [
        "reports.view_transparencyreport",
        "reports.add_transparencyreport",
        "reports.approve_transparencyreport",
    ],
    Role.LIAISON_OFFICER: ["reports.view_transparencyreport"],
    Role.ANALYST: ["reports.view_transparencyreport"],
}
