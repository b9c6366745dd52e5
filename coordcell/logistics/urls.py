from django.urls import path

from . import views

app_name = "logistics"
urlpatterns = [
    path("", views.shipment_list, name="list"),
    path("shipments/advance/", views.shipments_advance, name="advance"),
    path("shipments/<int:pk>/", views.shipment_detail, name="detail"),
    path("shipments/<int:pk>/load/", views.load_detail, name="load"),
    path("shipments/<int:pk>/event/", views.shipment_event, name="event"),
    path("shipments/<int:pk>/discrepancy/", views.discrepancy_create, name="discrepancy"),
    path("shipments/<int:pk>/<str:action>/", views.shipment_change, name="change"),
    path("events/bulk", views.events_bulk, name="events-bulk"),
    path("delays/", views.delays, name="delays"),
    path("donors/<str:code>/late/", views.donor_delays, name="donor-delays"),
    path("hubs/", views.hubs, name="hubs"),
    path("hubs/<int:pk>/", views.hub_detail, name="hub"),
    path("inventory/", views.inventory, name="inventory"),
    path("photos/<int:pk>/", views.discrepancy_photo, name="photo"),
]
