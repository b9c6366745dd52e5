from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.reports_page, name="index"),
    path("briefing.pdf", views.briefing_pdf, name="briefing-pdf"),
    path("briefing.xlsx", views.briefing_xlsx, name="briefing-xlsx"),
    path("lists/<slug:slug>/", views.drill_list, name="list"),
]
