"""Pages of one's own account: the second factor, API tokens."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.core.errors import DomainError, show_on_form

from . import second_factor, tokens
from .forms import CodeForm, TokenForm
from .models import ApiToken


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
