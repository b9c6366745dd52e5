from django.urls import path

from . import views

app_name = "allocation"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("committed/", views.my_allocations, name="committed"),
    path("<int:pk>/", views.run_detail, name="detail"),
    path("<int:pk>/commit/", views.run_commit, name="commit"),
    path("<int:pk>/discard/", views.run_discard, name="discard"),
    path("<int:pk>/what-if/", views.run_whatif, name="whatif"),
    path("<int:pk>/compare/", views.run_compare, name="compare"),
    path("<int:pk>/instance.json", views.run_instance, name="instance"),
    path("<int:pk>/lines/<int:line_pk>/edit/", views.line_edit, name="line-edit"),
]
