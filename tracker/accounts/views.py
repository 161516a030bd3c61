"""Pages of one's own account (the second factor, API tokens) and, for administrators, of people and roles."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.core.errors import DomainError, show_on_form

from . import grants, second_factor, tokens
from .forms import CodeForm, GrantForm, InviteForm, TokenForm
from .models import ApiToken, RoleGrant
from .people import people, role_names


@login_required
def second_factor_page(request):
    """Set up an authenticator (first time) or give a code from it (every sign-in)."""
    user = request.user
    next_url = request.GET.get("next") or request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    setting_up = not second_factor.has_second_factor(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if setting_up:
                codes = second_factor.confirm_setup(request, form.cleaned_data["otp_code"])
                return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url or "/"})
            second_factor.verify_sign_in(request, form.cleaned_data["otp_code"])
            return redirect(next_url or "home")
        except DomainError as refused:
            show_on_form(form, refused)
    context = {"form": form, "next": next_url, "setting_up": setting_up}
    if setting_up:
        device = second_factor.pending_device(user)
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff")
        context["secret"] = _base32(device)
    return render(request, "accounts/second_factor.html", context)


@login_required
@require_POST
def new_recovery_codes(request):
    form = CodeForm(request.POST)
    try:
        codes = second_factor.new_recovery_codes(request.user, form.data.get("otp_code", ""))
    except DomainError as refused:
        messages.error(request, refused.message)
        return redirect("api-tokens")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/"})


@login_required
def token_list(request):
    form = TokenForm(request.POST or None)
    issued_key = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, issued_key = tokens.issue_token(
                actor=request.user, owner=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
            form = TokenForm()
        except DomainError as refused:
            show_on_form(form, refused)
    context = {
        "form": form,
        "issued_key": issued_key,
        "tokens": ApiToken.objects.filter(user=request.user),
        "has_second_factor": second_factor.has_second_factor(request.user),
        "code_form": CodeForm(),
    }
    return render(request, "accounts/tokens.html", context)


@login_required
@require_POST
def token_revoke(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    tokens.revoke_token(actor=request.user, token=token, reason=_("revoked by its owner"))
    messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("api-tokens")


def _base32(device) -> str:
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- people (administrators act; auditors read) ------------------------------------------------------------


def _may_read_people(user) -> bool:
    return user.has_perm("accounts.view_rolegrant")


@login_required
def people_list(request):
    if not _may_read_people(request.user):
        raise PermissionDenied
    context = {
        "people": people().order_by("-is_active", "username"),
        "pending": RoleGrant.objects.filter(status=RoleGrant.Status.PENDING).select_related("user", "requested_by"),
        "may_act": request.user.has_perm("accounts.add_rolegrant"),
    }
    return render(request, "accounts/people.html", context)


@login_required
def person_invite(request):
    if not request.user.has_perm("accounts.add_rolegrant"):
        raise PermissionDenied
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, link = grants.invite(actor=request.user, **form.cleaned_data)
        except DomainError as refused:
            show_on_form(form, refused)
        else:
            context = {"person": user, "link": request.build_absolute_uri(link)}
            return render(request, "accounts/invited.html", context)
    return render(request, "accounts/invite.html", {"form": form})


@login_required
def person_detail(request, pk: int):
    if not _may_read_people(request.user):
        raise PermissionDenied
    person = get_object_or_404(people(), pk=pk)
    form = GrantForm(request.POST or None) if request.POST.get("step") == "grant" else GrantForm()
    if request.method == "POST":
        done = _person_step(request, person, form)
        if done:
            return redirect("person", pk=pk)
    context = {
        "person": person,
        "roles": role_names(person),
        "grant_form": form,
        "tokens": ApiToken.objects.filter(user=person),
        "grants": RoleGrant.objects.filter(user=person).select_related("requested_by", "decided_by"),
        "may_act": request.user.has_perm("accounts.add_rolegrant") and request.user.pk != person.pk,
    }
    return render(request, "accounts/person.html", context)


def _person_step(request, person, form) -> bool:
    """One administrator's step on a person's page; True when done (a message says what happened)."""
    step, reason = request.POST.get("step"), request.POST.get("reason", "")
    try:
        if step == "grant":
            if not form.is_valid():
                return False
            grant = grants.grant_role(actor=request.user, user=person, **form.cleaned_data)
            if grant is not None:
                messages.success(request, _("Requested: a second administrator must confirm."))
            else:
                messages.success(request, _("Role given."))
        elif step == "remove-role":
            grants.remove_role(actor=request.user, user=person, role=request.POST.get("role", ""), reason=reason)
            messages.success(request, _("Role removed."))
        elif step in ("deactivate", "reactivate"):
            grants.set_active(actor=request.user, user=person, active=step == "reactivate", reason=reason)
            messages.success(request, _("Account updated."))
        elif step == "reset-second-factor":
            second_factor.reset(actor=request.user, user=person, reason=reason)
            messages.success(request, _("Second factor removed: they set up a new one at their next sign-in."))
        elif step == "revoke-token":
            token = get_object_or_404(ApiToken, pk=request.POST.get("token", "0") or 0, user=person)
            tokens.revoke_token(actor=request.user, token=token, reason=reason)
            messages.success(request, _("Token revoked."))
        else:
            return False
    except DomainError as refused:
        if step == "grant":
            show_on_form(form, refused)
            return False
        messages.error(request, refused.message)
    return True


@login_required
@require_POST
def grant_decision(request, pk: int, decision: str):
    grant = get_object_or_404(RoleGrant, pk=pk)
    try:
        if decision == "confirm":
            grants.confirm_grant(actor=request.user, grant=grant, otp_code=request.POST.get("otp_code", ""))
            messages.success(
                request, _("Confirmed: %(user)s is now %(role)s.") % {"user": grant.user, "role": grant.role}
            )
        elif decision == "refuse":
            grants.refuse_grant(actor=request.user, grant=grant, reason=request.POST.get("reason", ""))
            messages.success(request, _("Refused."))
        else:
            raise Http404
    except DomainError as refused:
        messages.error(request, refused.message)
    return redirect("people")
