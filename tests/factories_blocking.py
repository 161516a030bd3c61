"""Test data for blocking: ISPs with API accounts, orders in each state."""

from datetime import timedelta

import factory
from django.utils import timezone

from blocking import services
from blocking.models import ISP, ISPAccount
from tests.factories import PASSWORD, make_user


class ISPFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ISP

    name = factory.Sequence(lambda n: f"ISP {n}")
    licence_number = factory.Sequence(lambda n: f"LIC-{n:05d}")
    contact_email = factory.Sequence(lambda n: f"noc{n}@isp.example")


def isp_user(isp: ISP):
    user = make_user("isp")
    ISPAccount.objects.create(isp=isp, user=user)
    return type(user).objects.get(pk=user.pk)


def approved_order(*, proposer, approver, names="web.telegram.org\n*.t.me", effective_in=timedelta(minutes=5), **kw):
    order = services.create_block_order(
        actor=proposer,
        names=names,
        justification="Terrorist propaganda channels left up after six notices",
        legal_basis="Law 19/2016 art. 40(2b)",
        effective_at=timezone.now() + effective_in,
        **kw,
    )
    services.submit_for_approval(order=order, actor=proposer)
    return services.approve_order(order=order, actor=approver, password=PASSWORD)


def order_in_force(*, proposer, approver, names="web.telegram.org\n*.t.me", **kw):
    order = approved_order(proposer=proposer, approver=approver, names=names, **kw)
    issued = services.issue_order(order_id=order.pk, now=order.effective_at)
    return issued
