"""UI of the platform registry and the register of government advisories. Writes go through services.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tracker.core import audit
from tracker.core.csv_export import stream_csv
from tracker.core.errors import DomainError, show_on_form
from tracker.core.listing import list_page, query_without_page
from tracker.core.models import AuditEntry
from tracker.core.panels import page_panels

from . import services
from .api import AdvisoryFilter, PlatformFilter
from .forms import (
    AdvisoryForm,
    ContactForm,
    LiftAdvisoryForm,
    NamesForm,
    PlatformForm,
    TrustedFlaggerForm,
)
from .models import AdvisoryReason, GovernmentAdvisory, Platform, PlatformContact, PlatformDomain, PlatformHost

view_platforms = permission_required("platforms.view_platform", raise_exception=True)
view_advisories = permission_required("platforms.view_governmentadvisory", raise_exception=True)


def _count(queryset) -> Coalesce:
    """A per-platform count as a subquery: several counts joined in one query would multiply each other."""
    counted = queryset.order_by().values("platform").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def platform_rows():
    in_force = GovernmentAdvisory.platforms.through.objects.filter(
        platform=OuterRef("pk"), governmentadvisory__status=GovernmentAdvisory.Status.IN_FORCE
    )
    return Platform.objects.annotate(
        host_count=_count(PlatformHost.objects.filter(platform=OuterRef("pk"))),
        domain_count=_count(PlatformDomain.objects.filter(platform=OuterRef("pk"))),
        # Cases sit above the registry; their relation to a platform is named "cases" on Platform.
        case_count=_count(Platform._meta.get_field("cases").related_model.objects.filter(platform=OuterRef("pk"))),
        advisories_in_force=_count(in_force),
    ).order_by("name")


@login_required
@view_platforms
def platform_list(request):
    platforms = PlatformFilter(request.GET, queryset=platform_rows()).qs
    if request.GET.get("format") == "csv":
        header = ["name", "operator", "country", "url_rules", "hosts", "dns_names", "cases", "advisories_in_force"]
        header += ["government_channel", "trusted_flagger_since"]
        rows = (
            [
                p.name, p.operator_legal_name, p.home_country, p.url_rules, p.host_count, p.domain_count,
                p.case_count, p.advisories_in_force, "yes" if p.has_government_channel else "no",
                p.trusted_flagger_since.isoformat() if p.trusted_flagger_since else "",
            ]
            for p in platforms.iterator(chunk_size=2000)
        )  # fmt: skip
        return stream_csv("platforms.csv", header, rows)
    return render(
        request,
        "platforms/platform_list.html",
        {
            "page": list_page(request, platforms, sortable={"name": "name"}, default_sort="name"),
            "query": query_without_page(request),
            "countries": _countries(Platform.objects.exclude(home_country="").values_list("home_country", flat=True)),
        },
    )


@login_required
@view_platforms
def platform_detail(request, pk):
    platform = get_object_or_404(Platform, pk=pk)
    contacts = list(platform.contacts.all())
    by_role = [(label, [c for c in contacts if c.role == role]) for role, label in PlatformContact.Role.choices]
    advisories = (
        platform.advisories.prefetch_related("reasons").order_by("-issued_on", "-id")
        if request.user.has_perm("platforms.view_governmentadvisory")
        else None
    )
    return render(
        request,
        "platforms/platform_detail.html",
        {
            "platform": platform,
            "country_name": services.country_names().get(platform.home_country, ""),
            "hosts": platform.hosts.all(),
            "domains": platform.domains.all(),
            "contacts_by_role": by_role,
            "advisories": advisories,
            "panels": page_panels(request, "platform", platform),
            "history": platform_history(platform, [c.pk for c in contacts]),
            "trusted_flagger_form": TrustedFlaggerForm(),
        },
    )


def platform_history(platform: Platform, contact_ids: list[int]):
    """The platform's own audit entries and those of its contacts, newest first."""
    types = ContentType.objects.get_for_models(Platform, PlatformContact)
    return (
        AuditEntry.objects.filter(
            Q(content_type=types[Platform], object_id=str(platform.pk))
            | Q(content_type=types[PlatformContact], object_id__in=[str(pk) for pk in contact_ids])
        )
        .select_related("actor")
        .order_by("-at", "-id")[:200]
    )


@login_required
def platform_edit(request, pk=None):
    platform = get_object_or_404(Platform, pk=pk) if pk else None
    _require(request, "platforms.change_platform" if platform else "platforms.add_platform")
    if request.method == "POST":
        form = PlatformForm(request.POST)
        if form.is_valid():
            try:
                platform = services.save_platform(actor=request.user, platform=platform, **form.cleaned_data)
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("%(platform)s saved.") % {"platform": platform.name})
                return redirect("platforms-detail", platform.pk)
    else:
        initial = {name: getattr(platform, name) for name in services.PLATFORM_FIELDS} if platform else None
        form = PlatformForm(initial=initial)
    return render(request, "platforms/platform_form.html", {"form": form, "platform": platform})


@login_required
def platform_names(request, pk):
    platform = get_object_or_404(Platform, pk=pk)
    _require(request, "platforms.change_platform")
    if request.method == "POST":
        form = NamesForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():  # hosts and names together, or neither
                    services.set_platform_hosts(
                        actor=request.user, platform=platform, hosts=form.cleaned_data["hosts"].splitlines()
                    )
                    services.set_platform_domains(
                        actor=request.user, platform=platform, names=form.cleaned_data["names"]
                    )
            except DomainError as exc:
                show_on_form(form, exc, aliases={"domains": "names"})
            else:
                messages.success(request, _("Hosts and DNS names of %(platform)s saved.") % {"platform": platform.name})
                return redirect("platforms-detail", platform.pk)
    else:
        form = NamesForm(
            initial={
                "hosts": "\n".join(platform.hosts.values_list("host", flat=True)),
                "names": "\n".join(platform.domains.values_list("name", flat=True)),
            }
        )
    return render(request, "platforms/names_form.html", {"form": form, "platform": platform})


@login_required
@require_POST
def trusted_flagger(request, pk):
    platform = get_object_or_404(Platform, pk=pk)
    _require(request, "platforms.change_platform")
    form = TrustedFlaggerForm(request.POST)
    if form.is_valid():
        try:
            services.grant_trusted_flagger(actor=request.user, platform=platform, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Trusted flagger status recorded."))
    else:
        messages.error(request, _("Give the date and who granted it."))
    return redirect("platforms-detail", platform.pk)


@login_required
def contact_edit(request, pk=None, platform_pk=None):
    contact = get_object_or_404(PlatformContact.objects.select_related("platform"), pk=pk) if pk else None
    platform = contact.platform if contact else get_object_or_404(Platform, pk=platform_pk)
    _require(request, "platforms.change_platformcontact" if contact else "platforms.add_platformcontact")
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                services.save_contact(actor=request.user, platform=platform, contact=contact, **form.cleaned_data)
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("Contact saved."))
                return redirect("platforms-detail", platform.pk)
    else:
        form = ContactForm(
            initial={"role": contact.role, "name": contact.name, "email": contact.email} if contact else None
        )
    return render(request, "platforms/contact_form.html", {"form": form, "platform": platform, "contact": contact})


@login_required
@require_POST
def contact_deactivate(request, pk):
    contact = get_object_or_404(PlatformContact, pk=pk)
    _require(request, "platforms.change_platformcontact")
    services.deactivate_contact(actor=request.user, contact=contact, reason=request.POST.get("reason", ""))
    messages.success(request, _("%(email)s is no longer used.") % {"email": contact.email})
    return redirect("platforms-detail", contact.platform_id)


# --- advisories ---------------------------------------------------------------------------------


@login_required
@view_advisories
def advisory_list(request):
    queryset = GovernmentAdvisory.objects.prefetch_related("platforms", "reasons").order_by("-issued_on", "-id")
    advisories = AdvisoryFilter(request.GET, queryset=queryset).qs
    if request.GET.get("format") == "csv":
        header = ["issued_on", "country", "authority", "reference", "measure", "status", "lifted_on", "platforms"]
        header += ["reasons", "scope", "alternative", "source", "source_url", "notes"]
        rows = (
            [
                a.issued_on.isoformat(), a.country, a.authority, a.reference, a.measure, a.status,
                a.lifted_on.isoformat() if a.lifted_on else "", "; ".join(p.name for p in a.platforms.all()),
                "; ".join(r.slug for r in a.reasons.all()), a.scope, a.alternative, a.source, a.source_url, a.notes,
            ]
            for a in advisories.iterator(chunk_size=2000)
        )  # fmt: skip
        return stream_csv("government-advisories.csv", header, rows)
    return render(
        request,
        "platforms/advisory_list.html",
        {
            "page": list_page(request, advisories),
            "query": query_without_page(request),
            "countries": _countries(GovernmentAdvisory.objects.values_list("country", flat=True)),
            "measures": GovernmentAdvisory.Measure.choices,
            "statuses": GovernmentAdvisory.Status.choices,
            "reasons": AdvisoryReason.objects.order_by("name"),
            "platforms": Platform.objects.order_by("name").only("pk", "name"),
        },
    )


@login_required
@view_advisories
def advisory_detail(request, pk):
    advisory = get_object_or_404(
        GovernmentAdvisory.objects.select_related("recorded_by").prefetch_related("platforms", "reasons"), pk=pk
    )
    return render(
        request,
        "platforms/advisory_detail.html",
        {
            "advisory": advisory,
            "country_name": services.country_names().get(advisory.country, ""),
            "history": audit.history(advisory).order_by("-at", "-id"),
            "lift_form": LiftAdvisoryForm(),
        },
    )


@login_required
def advisory_edit(request, pk=None):
    advisory = get_object_or_404(GovernmentAdvisory, pk=pk) if pk else None
    _require(request, "platforms.change_governmentadvisory" if advisory else "platforms.add_governmentadvisory")
    if request.method == "POST":
        form = AdvisoryForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            platforms, reasons = list(data.pop("platforms")), list(data.pop("reasons"))
            try:
                advisory = services.record_advisory(
                    actor=request.user, advisory=advisory, platforms=platforms, reasons=reasons, **data
                )
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(request, _("Advisory saved."))
                return redirect("platforms-advisory-detail", advisory.pk)
    else:
        initial = {}
        if advisory:
            initial = {name: getattr(advisory, name) for name in services.ADVISORY_FIELDS}
            initial["platforms"] = list(advisory.platforms.all())
            initial["reasons"] = list(advisory.reasons.all())
        elif request.GET.get("platform"):
            initial["platforms"] = Platform.objects.filter(pk=request.GET["platform"])
        form = AdvisoryForm(initial=initial)
    return render(request, "platforms/advisory_form.html", {"form": form, "advisory": advisory})


@login_required
@require_POST
def advisory_lift(request, pk):
    advisory = get_object_or_404(GovernmentAdvisory, pk=pk)
    _require(request, "platforms.change_governmentadvisory")
    form = LiftAdvisoryForm(request.POST)
    if form.is_valid():
        try:
            services.lift_advisory(actor=request.user, advisory=advisory, **form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Advisory recorded as lifted."))
    else:
        messages.error(request, _("Give the date it was lifted and why."))
    return redirect("platforms-advisory-detail", advisory.pk)


# --- helpers ------------------------------------------------------------------------------------


def _require(request, perm: str) -> None:
    """Refuse with the 403 page before any form is shown; the service checks again."""
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _countries(codes) -> list[tuple[str, str]]:
    names = services.country_names()
    return [(code, names.get(code, code)) for code in sorted(set(codes.order_by().distinct()))]
