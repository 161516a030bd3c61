"""UI of bulk imports: the form, the import page whose progress bar htmx refreshes, the rejection report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from tracker.core.csv_export import stream_csv
from tracker.core.errors import DomainError, show_on_form
from tracker.core.listing import list_page
from tracker.imports.models import ItemImport

from . import services
from .forms import ImportForm

can_view = permission_required("tracker.view_flaggeditem", raise_exception=True)
can_import = permission_required("tracker.add_flaggeditem", raise_exception=True)
REJECTIONS_PAGE = 100


@login_required
@can_view
def import_list(request):
    imports = ItemImport.objects.select_related("created_by", "default_category", "case")
    return render(request, "imports/import_list.html", {"page": list_page(request, imports)})


@login_required
@can_import
def import_new(request):
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            source = {"uploaded_file": data["file"]} if data.get("file") else {"text": data["text"]}
            try:
                item_import = services.create_import(
                    actor=request.user,
                    default_category=data["category"],
                    default_source=data["source"],
                    default_platform=data["platform"],
                    case=data["case"],
                    **source,
                )
            except DomainError as exc:
                show_on_form(form, exc)
            else:
                messages.success(
                    request,
                    _("Import %(id)s queued: %(rows)s rows.")
                    % {"id": item_import.pk, "rows": f"{item_import.total_rows:,}"},
                )
                return redirect("imports-detail", item_import.pk)
    else:
        form = ImportForm(initial={"source": "patrol", "case": request.GET.get("case")})
    return render(request, "imports/import_form.html", {"form": form})


def _import(pk) -> ItemImport:
    return get_object_or_404(
        ItemImport.objects.select_related("created_by", "default_category", "default_platform", "case"), pk=pk
    )


@login_required
@can_view
def import_detail(request, pk):
    return render(request, "imports/import_detail.html", {"item_import": _import(pk)})


@login_required
@can_view
def import_progress(request, pk):
    """The progress fragment htmx polls; once the import is over it comes without the polling trigger."""
    return render(request, "imports/_progress.html", {"item_import": _import(pk)})


@login_required
@can_view
def rejection_list(request, pk):
    item_import = _import(pk)
    rejections = item_import.rejections.order_by("line", "id")
    if request.GET.get("format") == "csv":
        return stream_csv(
            f"import-{item_import.pk}-rejections.csv",
            ["line", "value", "reason"],
            rejections.values_list("line", "value", "reason").iterator(chunk_size=2000),
        )
    return render(
        request,
        "imports/rejection_list.html",
        {"item_import": item_import, "page": list_page(request, rejections, page_size=REJECTIONS_PAGE)},
    )
