from django.urls import path

from . import report_views, views

urlpatterns = [
    path("figures/", views.figures_page, name="figures"),
    path("figures/charts/<slug:name>.svg", views.figures_chart, name="figures-chart"),
    path("figures/reports/", report_views.report_list, name="figures-reports"),
    path("figures/reports/new/", report_views.report_draft, name="figures-report-draft"),
    path("figures/reports/<int:pk>/", report_views.report_detail, name="figures-report"),
    path("figures/reports/<int:pk>/approve/", report_views.report_approve, name="figures-report-approve"),
    path("figures/reports/<int:pk>/report.<slug:edition>", report_views.report_document, name="figures-report-edition"),
    path("figures/<slug:table>.<str:extension>", views.figures_export, name="figures-export"),
]
