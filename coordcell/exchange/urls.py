from django.urls import path

from . import views

urlpatterns = [
    path("import/", views.import_start, name="import-start"),
    path("import/<str:upload_id>/", views.import_review, name="import-review"),
    path(
        "import/<str:upload_id>/runs/<int:run_id>/<str:name>",
        views.import_file,
        name="import-run-file",
    ),
    path("import/<str:upload_id>/<str:name>", views.import_file, name="import-file"),
    path("export/<slug:slug>/", views.export_list, name="export-list"),
]
