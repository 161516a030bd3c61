from tracker.core.routers import Router

from . import api, contact_api, ladder_api

router = Router()
router.register("notices", api.NoticeViewSet, basename="notice")
router.register("rebuttals", api.RebuttalViewSet, basename="rebuttal")
router.register("sanctions", api.SanctionViewSet, basename="sanction")
router.register("content-checks", api.ContentCheckViewSet, basename="content-check")
router.register("notifications", api.NotificationViewSet, basename="notification")
router.register("contact-log", contact_api.ContactEntryViewSet, basename="contact-entry")
router.register("contact-log/attachments", contact_api.ContactAttachmentViewSet, basename="contact-attachment")
router.register("escalation-policies", ladder_api.EscalationPolicyViewSet, basename="escalation-policy")
router.register("escalation-steps", ladder_api.EscalationStepViewSet, basename="escalation-step")

urlpatterns = router.urls
