"""One API resource per register: the register says who sees and changes what, the resource adds
its serializer. ``viewset_for`` turns a resource into list/detail/create/update/delete endpoints
that use the register's access functions, form and services. A new app adds its resource to
``RESOURCES`` in ``urls.py`` — nothing else."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, filters, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from coordcell.registry.access import raise_not_found
from coordcell.registry.registers import Register

from .filters import with_codes
from .problems import ConflictError
from .serializers import ATTACHED_CODES, CODES_PREFIX, many_to_many, slug_annotations
from .writes import save_through_form


@dataclass(frozen=True)
class ApiResource:
    register: Register
    serializer_class: type[serializers.ModelSerializer]
    codes: tuple[str, ...] = ()  # many-to-many relations shown as their objects' codes
    ordering_fields: tuple[str, ...] = ()  # besides the register's sortable columns
    code_filters: tuple[str, ...] = ()  # filters by a related object's code the page lacks

    @property
    def slug(self) -> str:
        return self.register.slug

    @property
    def writable(self) -> bool:
        return self.register.form_class is not None and self.register.save is not None

    @property
    def versioned(self) -> bool:
        return any(f.name == "version" for f in self.register.model._meta.concrete_fields)


class RegisterSearchFilter(filters.BaseFilterBackend):
    """``?q=`` searches the same fields, the same way, as the list page's search box."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        query = request.query_params.get("q", "").strip()
        fields = view.resource.register.for_user(request.user).search_fields
        if not query or not fields:
            return queryset
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__icontains": query})
        return queryset.filter(condition)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        fields = view.resource.register.search_fields
        if not fields:
            return []
        return [
            {
                "name": "q",
                "required": False,
                "in": "query",
                "description": "Text contained in any of: " + ", ".join(fields),
                "schema": {"type": "string"},
            }
        ]


class ResourceViewSet(viewsets.ModelViewSet):
    resource: ApiResource
    lookup_value_regex = r"\d+"
    filter_backends = [RegisterSearchFilter, DjangoFilterBackend, filters.OrderingFilter]
    all_ordering_fields: list[str] = []

    # Fields the user may not read (Register.hidden) are left out of the answer, and of the
    # filters and orderings, so that they are not found out by filtering or sorting either.
    def _hidden(self) -> frozenset[str]:
        return self.resource.register.hidden_for(getattr(self.request, "user", None))

    @property
    def filterset_class(self) -> Any:
        user = getattr(getattr(self, "request", None), "user", None)
        return with_codes(
            self.resource.register.for_user(user).filterset_class,
            self.resource.code_filters,
            self.resource.register.hidden_for(user),
        )

    @property
    def ordering_fields(self) -> list[str]:
        if getattr(self, "request", None) is None:
            return self.all_ordering_fields
        hidden = self._hidden()
        return [f for f in self.all_ordering_fields if f.split("__")[0] not in hidden]

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "hidden_fields": self._hidden()}

    def get_queryset(self) -> QuerySet[Any]:
        qs = self.resource.register.visible(self.request.user)
        if getattr(self.request, "method", "GET") in ("GET", "HEAD"):
            # A read shows related objects by their slugs, annotated on the row's own query; the
            # register's select_related would build an object per relation and row. (A write's
            # forms and services read the related objects, so it keeps them.)
            slugs = slug_annotations(self.resource.serializer_class)
            if slugs:
                qs = qs.select_related(None).annotate(**slugs)
        return qs if qs.ordered else qs.order_by("pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = self._with_ledgers(
            attach_codes(list(queryset if page is None else page), self._codes())
        )
        data = self.get_serializer(rows, many=True).data
        return Response(data) if page is None else self.get_paginated_response(data)

    def get_object(self) -> Any:
        try:
            obj = super().get_object()
        except Http404:
            # Out of the user's scope is a refusal (audited); no such object a plain 404.
            key = self.lookup_url_kwarg or self.lookup_field
            raise_not_found(self.get_queryset(), **{self.lookup_field: self.kwargs[key]})
        return self._with_ledgers(attach_codes([obj], self._codes()))[0]

    def _with_ledgers(self, rows: builtins.list[Any]) -> builtins.list[Any]:
        """Give each row its ledger of quantities (pledges, requirements): for all the rows in a
        few queries."""
        ledger = self.resource.register.ledger
        if ledger is not None and rows:
            figures = ledger(self.request.user, [row.pk for row in rows])
            for row in rows:
                row.ledger = figures.get(row.pk, {})
        return rows

    def _codes(self) -> tuple[str, ...]:
        """The many-to-many codes to attach: a read's query brings those it annotates itself
        (get_queryset); a write's brings none."""
        if getattr(self.request, "method", "GET") not in ("GET", "HEAD"):
            return tuple(self.resource.codes)
        annotated = slug_annotations(self.resource.serializer_class)
        return tuple(name for name in self.resource.codes if CODES_PREFIX + name not in annotated)

    def _editable(self, obj: Any) -> Any:
        if not self.resource.register.editable(self.request.user).filter(pk=obj.pk).exists():
            raise exceptions.PermissionDenied(
                f"You may read this {self.resource.register.verbose_name} but not change it."
            )
        return obj

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        register = self.resource.register
        if not register.can_create(request.user):
            raise exceptions.PermissionDenied(
                f"Your role does not create {register.model._meta.verbose_name_plural}."
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "version"}
        obj = save_through_form(register, user=request.user, validated=data)
        body = self.get_serializer(self._reload(obj)).data
        headers = {"Location": request.build_absolute_uri(f"{request.path.rstrip('/')}/{obj.pk}")}
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        obj = self._editable(self.get_object())
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if self.resource.versioned and data.get("version") is None:
            raise exceptions.ValidationError(
                {"version": ["Send the version you read, so a newer change is not overwritten."]}
            )
        obj = save_through_form(
            self.resource.register, user=request.user, validated=data, instance=obj
        )
        return Response(self.get_serializer(self._reload(obj)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self._editable(self.get_object())
        if self.resource.register.delete is None:
            raise exceptions.MethodNotAllowed(request.method or "DELETE")
        from django.core.exceptions import ValidationError

        try:
            self.resource.register.delete(actor=request.user, instance=obj)
        except ValidationError as exc:
            raise ConflictError(" ".join(exc.messages)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _reload(self, obj: Any) -> Any:
        return self._with_ledgers(
            attach_codes([self.get_queryset().get(pk=obj.pk)], self.resource.codes)
        )[0]


def attach_codes[T: Model](rows: list[T], relations: Iterable[str]) -> list[T]:
    """Give each row the codes of its related objects, for ``serializers.CodeList``: one query
    per relation for all the rows, ordered as the related model orders its objects."""
    relations = tuple(relations)
    if not rows or not relations:
        return rows
    model = type(rows[0])
    by_row: dict[Any, dict[str, list[str]]] = {
        row.pk: {name: [] for name in relations} for row in rows
    }
    for name in relations:
        through, source, target, ordering = many_to_many(model, name)
        pairs = (
            through.objects.filter(**{f"{source}__in": list(by_row)})
            .order_by(*ordering, "pk")
            .values_list(source, f"{target}__code")
        )
        for row_id, code in pairs:
            by_row[row_id][name].append(code)
    for row in rows:
        setattr(row, ATTACHED_CODES, by_row[row.pk])
    return rows


def viewset_for(resource: ApiResource) -> type[ResourceViewSet]:
    """The viewset of one resource, with its OpenAPI description."""
    register = resource.register
    sortable = tuple(c.sort for c in register.columns if c.sort)
    methods = ["get", "head", "options"]
    if resource.writable:
        methods += ["post", "put", "patch"]
        if register.delete is not None:
            methods.append("delete")
    plural = str(register.model._meta.verbose_name_plural)
    name = ("an " if register.verbose_name[:1] in "aeiou" else "a ") + register.verbose_name
    attrs = {
        "resource": resource,
        "serializer_class": resource.serializer_class,
        "all_ordering_fields": list(dict.fromkeys(("id", *sortable, *resource.ordering_fields))),
        "http_method_names": methods,
        "__doc__": f"{register.title}: only those you may see are listed.",
    }
    cls = type(f"{register.model.__name__}ViewSet", (ResourceViewSet,), attrs)
    version_note = " Send `version` as read; a stale one answers 409." if resource.versioned else ""
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}", tags=[register.slug]),
        retrieve=extend_schema(summary=f"Read {name}", tags=[register.slug]),
        create=extend_schema(summary=f"Create {name}", tags=[register.slug]),
        update=extend_schema(
            summary=f"Replace {name}", description=version_note, tags=[register.slug]
        ),
        partial_update=extend_schema(
            summary=f"Change some fields of {name}",
            description=version_note,
            tags=[register.slug],
        ),
        destroy=extend_schema(summary=f"Delete {name}", tags=[register.slug]),
    )(cls)
