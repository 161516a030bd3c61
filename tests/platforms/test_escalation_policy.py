"""A platform follows the default escalation ladder unless a supervisor gives it its own, on its page."""

import pytest
from django.urls import reverse

from notices import ladder as ladder_services
from notices.models import EscalationPolicy, EscalationStep
from tests.factories import PlatformFactory
from tests.factories_notices import ladder
from tracker.core.errors import DomainError, NotPermitted

pytestmark = pytest.mark.django_db


def own_ladder(name="Fast ladder"):
    policy = EscalationPolicy.objects.create(name=name)
    EscalationStep.objects.create(policy=policy, position=1, name="Notice", kind="notice", subject_template="Notice")
    return policy


def test_the_platform_page_shows_the_ladder_that_applies(client, supervisor):
    default = ladder()
    platform = PlatformFactory()
    client.force_login(supervisor)
    page = client.get(reverse("platforms-detail", args=[platform.pk])).content.decode()
    assert default.name in page and 'id="policy-steps"' in page and "Final warning" in page


def test_a_supervisor_gives_a_platform_its_own_ladder_and_takes_it_back(client, supervisor):
    ladder()
    platform, other = PlatformFactory(), PlatformFactory()
    fast = own_ladder()
    client.force_login(supervisor)
    url = reverse("platforms-escalation-policy", args=[platform.pk])
    client.post(url, {"policy": fast.pk})
    assert ladder_services.policy_for(platform) == fast and ladder_services.policy_for(other).is_default
    with pytest.raises(DomainError, match="already the ladder"):
        ladder_services.assign_escalation_policy(platform=other, policy=fast, actor=supervisor)
    client.post(url, {"policy": EscalationPolicy.objects.get(is_default=True).pk})
    fast.refresh_from_db()
    assert fast.platform is None and ladder_services.policy_for(platform).is_default


def test_only_supervisors_choose_a_platform_s_ladder(client, liaison_officer):
    ladder()
    platform, fast = PlatformFactory(), own_ladder()
    with pytest.raises(NotPermitted):
        ladder_services.assign_escalation_policy(platform=platform, policy=fast, actor=liaison_officer)
    client.force_login(liaison_officer)
    response = client.post(reverse("platforms-escalation-policy", args=[platform.pk]), {"policy": fast.pk})
    assert response.status_code == 403
    assert ladder_services.policy_for(platform).is_default


def test_an_unknown_policy_is_refused_with_a_message(client, supervisor):
    ladder()
    platform = PlatformFactory()
    client.force_login(supervisor)
    response = client.post(reverse("platforms-escalation-policy", args=[platform.pk]), {"policy": 999999}, follow=True)
    assert "Choose an escalation policy" in response.content.decode()
