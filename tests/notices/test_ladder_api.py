"""Escalation ladders and their steps through the API, with the permissions of the pages that keep them:
liaison officers, supervisors, auditors and administrators read; administrators keep ladders and steps (as in
the admin); supervisors and administrators choose a platform's ladder (as on the platform page)."""

import pytest

from notices import ladder
from notices.models import EscalationPolicy, EscalationStep
from tests.factories import PlatformFactory
from tests.factories_notices import ladder as default_ladder
from tracker.core.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW_STEP = {
    "name": "Second final warning",
    "kind": "final_warning",
    "subject_template": "{reference}: last warning",
    "body_template": "Remove {items} by {deadline}.",
    "urgent_response_minutes": 120,
    "normal_response_minutes": 720,
}


@pytest.fixture
def as_user(api_client):
    def sign_in(user):
        api_client.force_authenticate(user)
        return api_client

    return sign_in


@pytest.mark.parametrize("role", ["liaison_officer", "supervisor", "auditor", "administrator"])
def test_the_notice_desk_reads_ladders_with_their_steps(as_user, make_user, role):
    policy = default_ladder()
    api = as_user(make_user(role))
    listed = api.get("/api/v1/escalation-policies/").json()["results"]
    assert [row["name"] for row in listed] == [policy.name]
    detail = api.get(f"/api/v1/escalation-policies/{policy.pk}/").json()
    assert detail["is_default"] is True
    assert [step["kind"] for step in detail["steps"]][-1] == "block_proposal"
    steps = api.get("/api/v1/escalation-steps/", {"policy": policy.pk}).json()["results"]
    assert [step["position"] for step in steps] == [1, 2, 3, 4, 5, 6]


def test_an_analyst_reads_no_ladder(as_user, analyst):
    default_ladder()
    assert as_user(analyst).get("/api/v1/escalation-policies/").status_code == 403
    assert as_user(analyst).get("/api/v1/escalation-steps/").status_code == 403


def test_an_administrator_adds_and_changes_a_step_and_it_is_audited(as_user, administrator):
    policy = default_ladder()
    api = as_user(administrator)
    created = api.post("/api/v1/escalation-steps/", {**NEW_STEP, "policy": policy.pk, "position": 7}, format="json")
    assert created.status_code == 201, created.json()
    step = EscalationStep.objects.get(pk=created.json()["id"])
    assert step.name == "Second final warning" and step.automatic is True
    changed = api.patch(
        f"/api/v1/escalation-steps/{step.pk}/",
        {
            "urgent_response_minutes": 60,
            "automatic": False,
            "translations": [
                {"language": "id", "subject_template": "{reference}: peringatan terakhir", "body_template": "{items}"}
            ],
        },
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["urgent_response_minutes"] == 60 and changed.json()["automatic"] is False
    assert [row["language"] for row in changed.json()["translations"]] == ["id"]
    entry = AuditEntry.objects.filter(object_id=str(step.pk), action=AuditEntry.Action.CHANGE).get()
    assert entry.changes["urgent_response_minutes"] == [120, 60] and entry.actor == administrator
    assert AuditEntry.objects.filter(object_id=str(step.pk), action=AuditEntry.Action.CREATE).exists()


def test_a_step_with_an_unknown_placeholder_a_taken_position_or_an_unknown_field_is_refused(as_user, administrator):
    policy = default_ladder()
    api = as_user(administrator)
    url = "/api/v1/escalation-steps/"
    unknown = api.post(url, {**NEW_STEP, "policy": policy.pk, "position": 7, "body_template": "{ceo}"}, format="json")
    assert unknown.status_code == 400 and "body_template" in unknown.json()["error"]["fields"]
    taken = api.post(url, {**NEW_STEP, "policy": policy.pk, "position": 2}, format="json")
    assert taken.status_code == 400 and "position" in taken.json()["error"]["fields"]
    extra = api.post(url, {**NEW_STEP, "policy": policy.pk, "position": 7, "colour": "red"}, format="json")
    assert extra.status_code == 400 and "colour" in extra.json()["error"]["fields"]
    step = policy.steps.get(position=1)
    moved = api.patch(f"/api/v1/escalation-steps/{step.pk}/", {"policy": 999}, format="json")
    assert moved.status_code == 400 and "policy" in moved.json()["error"]["fields"]
    assert policy.steps.count() == 6


@pytest.mark.parametrize("role", ["liaison_officer", "supervisor", "auditor"])
def test_only_administrators_keep_steps(as_user, make_user, role):
    policy = default_ladder()
    api = as_user(make_user(role))
    step = policy.steps.get(position=1)
    response = api.post("/api/v1/escalation-steps/", {**NEW_STEP, "policy": policy.pk, "position": 7}, format="json")
    assert response.status_code == 403
    assert api.patch(f"/api/v1/escalation-steps/{step.pk}/", {"name": "x"}, format="json").status_code == 403
    assert api.patch(f"/api/v1/escalation-policies/{policy.pk}/", {"name": "x"}, format="json").status_code == 403
    assert EscalationStep.objects.get(pk=step.pk).name != "x"


def test_an_administrator_makes_a_ladder_and_moves_the_default_to_it(as_user, administrator):
    old = default_ladder()
    api = as_user(administrator)
    created = api.post(
        "/api/v1/escalation-policies/",
        {"name": "Short ladder", "time_zone": "Asia/Makassar", "description": "For small platforms."},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["steps"] == [] and created.json()["is_default"] is False
    policy_id = created.json()["id"]
    bad_zone = api.patch(f"/api/v1/escalation-policies/{policy_id}/", {"time_zone": "Mars/Olympus"}, format="json")
    assert bad_zone.status_code == 400 and "time_zone" in bad_zone.json()["error"]["fields"]
    default = api.patch(f"/api/v1/escalation-policies/{policy_id}/", {"is_default": True}, format="json")
    assert default.status_code == 200, default.json()
    assert EscalationPolicy.objects.get(is_default=True).pk == policy_id
    assert not EscalationPolicy.objects.get(pk=old.pk).is_default


def test_a_supervisor_gives_a_platform_its_ladder_as_on_the_platform_page(as_user, supervisor, analyst):
    default_ladder()
    own = EscalationPolicy.objects.create(name="Telegram ladder")
    platform = PlatformFactory()
    response = as_user(supervisor).post(
        f"/api/v1/escalation-policies/{own.pk}/assign/", {"platform": platform.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["platform"] == platform.pk and ladder.policy_for(platform) == own
    refused = as_user(analyst).post(
        f"/api/v1/escalation-policies/{own.pk}/assign/", {"platform": platform.pk}, format="json"
    )
    assert refused.status_code == 403
