from django.utils.translation import gettext_lazy as _

from tracker.core.navigation import NavEntry

# view_isp, not view_blockorder: ISP accounts read orders through the API only.
ENTRIES = [
    NavEntry(_("Block orders"), "blocking-order-list", "blocking.view_isp", order=60),
    NavEntry(_("Blocklist"), "blocking-blocklist", "blocking.view_isp", order=61),
    NavEntry(_("ISPs"), "blocking-isp-list", "blocking.view_isp", order=62),
]
