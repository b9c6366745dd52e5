"""``/api/v1/notifications`` and ``/api/v1/notification-preferences``: the caller's own inbox
and choice of what comes by e-mail, as the inbox and preferences pages show them.

Reads come from ``notifications_visible_to`` (the caller's own, nobody else's: another user's
notification answers 404 exactly like a missing one); changes go through
``notifications.services`` (``notification_mark_read``, ``notifications_mark_all_read``,
``preference_save``, which is audited and checks the version read).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.bounds import VERSION_MAX
from coordcell.notifications.models import Kind, Notification
from coordcell.notifications.selectors import notifications_visible_to, preference_of
from coordcell.notifications.services import (
    notification_mark_read,
    notifications_mark_all_read,
    preference_save,
)
from coordcell.registry.access import as_user, raise_not_found, refuse

from .pagination import IdCursorPagination

TAG = ["notifications"]


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    subject = serializers.CharField(help_text="Written for you, in your language.")
    body = serializers.CharField(allow_blank=True)
    link = serializers.CharField(
        allow_blank=True, help_text="The page of the record it is about (its own access check)."
    )
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)
    unread = serializers.BooleanField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many of your notifications became read.")


def notification_row(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "subject": n.subject,
        "body": n.body,
        "link": n.link,
        "created_at": n.created_at,
        "read_at": n.read_at,
        "unread": n.read_at is None,
    }


@extend_schema_view(
    list=extend_schema(
        summary="List your notifications, newest first",
        parameters=[OpenApiParameter("unread", bool, description="Only those not yet read.")],
        responses=NotificationSerializer(many=True),
        tags=TAG,
    ),
    retrieve=extend_schema(summary="Read one of your notifications", tags=TAG),
)
class NotificationViewSet(viewsets.GenericViewSet):
    """Your own notifications (the inbox); nobody reads another user's, the cell included."""

    serializer_class = NotificationSerializer
    lookup_value_regex = r"\d+"
    pagination_class = IdCursorPagination
    http_method_names = ["get", "head", "options", "post"]

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return Notification.objects.none()
        if as_user(self.request.user) is None:
            raise refuse("not an active user")
        return notifications_visible_to(self.request.user)

    def list(self, request: Request) -> Response:
        qs = self.get_queryset()
        unread = request.query_params.get("unread", "false")
        if unread not in ("true", "false", "1", "0"):
            raise exceptions.ValidationError({"unread": ["Send true or false."]})
        if unread in ("true", "1"):
            qs = qs.filter(read_at__isnull=True)
        page = self.paginate_queryset(qs)
        assert page is not None
        data = NotificationSerializer([notification_row(n) for n in page], many=True).data
        return self.get_paginated_response(data)

    def _notification(self) -> Notification:
        pk = self.kwargs["pk"]
        found = self.get_queryset().filter(pk=pk).first()
        if found is None:
            raise_not_found(self.get_queryset(), pk=pk)  # another user's: 404, audited
        return found

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(NotificationSerializer(notification_row(self._notification())).data)

    @extend_schema(
        summary="Mark one of your notifications read",
        request=None,
        responses=NotificationSerializer,
        tags=TAG,
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        notification = self._notification()
        notification_mark_read(user=request.user, notification_ids=[notification.pk])
        fresh = self.get_queryset().get(pk=notification.pk)
        return Response(NotificationSerializer(notification_row(fresh)).data)

    @extend_schema(
        summary="Mark all your notifications read",
        request=None,
        responses=MarkedSerializer,
        tags=TAG,
    )
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request: Request) -> Response:
        self.get_queryset()  # an active user
        return Response({"marked": notifications_mark_all_read(user=request.user)})


# ---- preferences ----

LANGUAGES = [("", "the installation's default"), *settings.LANGUAGES]


class PreferenceSerializer(serializers.Serializer):
    email_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Kind.choices),
        max_length=len(Kind.values) * 2,
        help_text="The kinds that also come by e-mail; the others stay in the inbox only.",
    )
    daily_digest = serializers.BooleanField(
        help_text="One daily digest instead of a mail for each notice."
    )
    language = serializers.ChoiceField(
        choices=LANGUAGES, allow_blank=True, help_text="Empty: the installation's default."
    )
    version = serializers.IntegerField(
        min_value=0,
        max_value=VERSION_MAX,
        help_text="0 while you have made no choice yet; send back the one you read: if it "
        "changed since, 409 and nothing changes.",
    )


def _preferences_answer(user: Any) -> Response:
    preference = preference_of(user)
    data = {
        "email_kinds": preference.email_kinds if preference else list(Kind.values),
        "daily_digest": preference.daily_digest if preference else False,
        "language": preference.language if preference else "",
        "version": preference.version if preference else 0,
    }
    return Response(PreferenceSerializer(data).data)


@extend_schema(
    methods=["GET"],
    summary="Read your notification preferences",
    responses=PreferenceSerializer,
    tags=TAG,
)
@extend_schema(
    methods=["PUT"],
    summary="Choose which notifications come by e-mail, digest and language",
    request=PreferenceSerializer,
    responses=PreferenceSerializer,
    tags=TAG,
)
@api_view(["GET", "PUT"])
def notification_preferences(request: Request) -> Response:
    user = as_user(request.user)
    if user is None:
        raise refuse("not an active user")
    if request.method == "PUT":
        serializer = PreferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        preference_save(
            actor=user,
            user=user,
            email_kinds=data["email_kinds"],
            daily_digest=data["daily_digest"],
            language=data["language"],
            expected_version=data["version"],
        )
    return _preferences_answer(user)
