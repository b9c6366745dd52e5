from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from coordcell.catalogue import REGISTERS
from coordcell.pledges.views import pledges_confirm
from coordcell.registry import two_factor
from coordcell.registry.views import register_urls

from .home import home

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/two-factor/", two_factor.setup, name="two-factor-setup"),
    path("account/two-factor/verify/", two_factor.verify, name="two-factor-verify"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("audit/", include("coordcell.audit.urls")),
    path("allocation/", include("coordcell.allocation.urls")),
    path("logistics/", include("coordcell.logistics.urls")),
    path("discrepancies/", include("coordcell.logistics.discrepancy_urls")),
    path("hub-capacities/", include("coordcell.registry.capacity_urls")),
    path("training/", include("coordcell.training.urls")),
    path("training/", include("coordcell.training.register_urls")),
    path("readiness/", include("coordcell.readiness.urls")),
    path("reports/", include("coordcell.reports.urls")),
    path("api/", include("coordcell.api.urls")),
    path("inbox/", include("coordcell.notifications.urls")),
    path("", include("coordcell.exchange.urls")),
    path("pledges/confirm/", pledges_confirm, name="pledges-confirm"),
    *[path(f"{r.slug}/", include(register_urls(r))) for r in REGISTERS],
]

# Problem details under /api/v1/, the site's own pages elsewhere (coordcell/api/problems.py).
handler400 = "coordcell.api.problems.bad_request"
handler403 = "coordcell.api.problems.permission_denied"
handler404 = "coordcell.api.problems.page_not_found"
handler500 = "coordcell.api.problems.server_error"
