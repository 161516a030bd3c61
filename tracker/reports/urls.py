from django.urls import path

from . import views

urlpatterns = [
    path("figures/", views.figures_page, name="figures"),
    path("figures/charts/<slug:name>.svg", views.figures_chart, name="figures-chart"),
    path("figures/<slug:table>.<str:extension>", views.figures_export, name="figures-export"),
]
