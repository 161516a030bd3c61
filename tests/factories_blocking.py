"""Test data for blocking: ISPs with API accounts, orders in each state."""

from datetime import timedelta

import factory
from django.utils import timezone

from blocking import services
from blocking.models import ISP, ISPAccount
from tests.factories import PASSWORD, make_user, second_factor_code


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


def draft_order(*, proposer, names="web.telegram.org\n*.t.me", effective_in=timedelta(minutes=5), **kw):
    return services.create_block_order(
        actor=proposer,
        names=names,
        justification="Terrorist propaganda channels left up after six notices",
        legal_basis="Law 19/2016 art. 40(2b)",
        effective_at=timezone.now() + effective_in,
        **kw,
    )


def order_awaiting_approval(*, proposer, **kw):
    order = draft_order(proposer=proposer, **kw)
    services.submit_for_approval(order=order, actor=proposer)
    return order


def approved_order(*, proposer, approver, **kw):
    order = order_awaiting_approval(proposer=proposer, **kw)
    return services.approve_order(order=order, actor=approver, password=PASSWORD, otp_code=second_factor_code(approver))


def issued_lift(*, block, proposer, approver, names: str | None = None, effective_in=timedelta(hours=1)):
    """A lift of some of a block order's names (all of those in force without `names`), approved by a second
    supervisor and issued at its time."""
    lift = services.create_lift_order(
        actor=proposer,
        block_order=block,
        **({"names": names} if names is not None else {}),
        justification="complied",
        legal_basis="same",
        effective_at=timezone.now() + effective_in,
    )
    services.submit_for_approval(order=lift, actor=proposer)
    services.approve_order(order=lift, actor=approver, password=PASSWORD, otp_code=second_factor_code(approver))
    return services.issue_order(order_id=lift.pk, now=lift.effective_at)


def order_in_force(*, proposer, approver, names="web.telegram.org\n*.t.me", **kw):
    order = approved_order(proposer=proposer, approver=approver, names=names, **kw)
    issued = services.issue_order(order_id=order.pk, now=order.effective_at)
    return issued
