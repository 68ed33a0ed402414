"""Promises every API route keeps, enforced in one place so routes added later keep them too.

- A malformed path or query parameter answers 422 naming it; the OpenAPI document says so for
  every operation that takes one.
- A versioned write (its body or query carries a required ``version``) without the version
  answers **428 Precondition Required** naming ``version``; with a stale one it answers **409**
  whose ``current`` is what ``GET`` answers now for the object (with its current ``version``),
  so a client can merge and retry. Both are declared on every such operation.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator
from typing import Any, get_args

from django.http import HttpRequest, QueryDict
from django.urls import Resolver404, resolve
from ninja import NinjaAPI
from ninja.openapi.schema import REF_TEMPLATE, OpenAPISchema
from pydantic import BaseModel

from twofold.core.api_schemas import ConflictOut, ErrorOut, ValidationErrorOut

VERSION_FIELD = "version"


def version_missing(errors: Iterable[dict[str, Any]]) -> bool:
    """True when a validation error is a required ``version`` (body or query) left out."""
    return any(
        err.get("type") == "missing" and tuple(err.get("loc", ()))[-1:] == (VERSION_FIELD,)
        for err in errors
    )


def sent_version(request: HttpRequest) -> bool:
    """Whether the request carried a ``version`` (JSON body or query): a versioned write."""
    if VERSION_FIELD in request.GET:
        return True
    if not request.content_type or "json" not in request.content_type:
        return False
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return False
    items = body if isinstance(body, list) else [body]
    return any(isinstance(item, dict) and VERSION_FIELD in item for item in items)


def current_state(request: HttpRequest) -> Any:
    """What ``GET`` answers now, for this user, for the object a write was about.

    The write's own path if it answers GET (``PATCH /api/routines/7``), else the object the
    action is on (``POST /api/requests/3/status`` → ``GET /api/requests/3``). None when the
    object is gone or has no GET.
    """
    path = request.path_info.rstrip("/")
    try:
        ids = {str(value) for value in resolve(path).kwargs.values()}
    except Resolver404:
        return None
    parts = path.split("/")
    while parts and parts[-1] not in ids:  # drop trailing action words: /move, /status
        parts.pop()
    for candidate in dict.fromkeys([path, "/".join(parts)]):
        if not candidate:
            continue
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if "api" not in match.namespaces:
            return None
        probe = copy.copy(request)
        probe.method = "GET"
        probe.GET = QueryDict()
        probe.path = probe.path_info = candidate
        response = match.func(probe, *match.args, **match.kwargs)
        if response.status_code == 405:  # no GET here: try the object the action is on
            continue
        if response.status_code != 200 or getattr(response, "streaming", False):
            return None  # a file (an expense's receipt) is no state to merge with
        if not response.get("Content-Type", "").startswith("application/json"):
            return None
        return json.loads(response.content)
    return None


def state_path(path: str, paths: dict[str, Any]) -> str | None:
    """The OpenAPI path whose GET :func:`current_state` reads for a write at ``path``."""
    parts = path.split("/")
    while parts and not parts[-1].startswith("{"):
        parts.pop()
    for candidate in dict.fromkeys([path, "/".join(parts)]):
        if "get" in paths.get(candidate, {}):
            return candidate
    return None


def _component(schema: OpenAPISchema, model: type[BaseModel]) -> dict[str, str]:
    definition = model.model_json_schema(ref_template=REF_TEMPLATE, mode="serialization")
    schema["components"]["schemas"].update(definition.pop("$defs", {}))
    schema["components"]["schemas"].setdefault(model.__name__, definition)
    return {"$ref": REF_TEMPLATE.format(model=model.__name__)}


def _json(ref: dict[str, str], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _is_versioned(schema: OpenAPISchema, operation: dict[str, Any]) -> bool:
    for param in operation.get("parameters", ()):
        if param.get("name") == VERSION_FIELD and param.get("required"):
            return True
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json", {}).get("schema", {})
    body = body.get("items", body)  # a list of versioned objects (custom field values)
    if "$ref" in body:
        body = schema["components"]["schemas"].get(body["$ref"].rsplit("/", 1)[-1], {})
    return VERSION_FIELD in body.get("required", ())


def document_contract(schema: OpenAPISchema) -> OpenAPISchema:
    """Declare on each operation the statuses the promises above make it answer."""
    schema.setdefault("components", {}).setdefault("schemas", {})
    invalid = _component(schema, ValidationErrorOut)
    precondition = _component(schema, ErrorOut)
    conflict = _component(schema, ConflictOut)
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            responses = operation.setdefault("responses", {})
            if any(p.get("in") in ("path", "query") for p in operation.get("parameters", ())):
                responses.setdefault(
                    422, _json(invalid, "A path or query parameter is malformed; `field` names it.")
                )
            if any(p.get("name") == "updated_since" for p in operation.get("parameters", ())):
                # A synced list (core.api_lists): ETag on every answer, 304 on a match.
                responses[304] = {
                    "description": "Not Modified: `If-None-Match` holds the list's current "
                    "`ETag`; nothing is sent.",
                    "headers": {"ETag": {"schema": {"type": "string"}}},
                }
            if _is_versioned(schema, operation):
                responses[409] = _json(
                    conflict,
                    "Stale `version`: someone else changed it. `current` is the object as GET "
                    "answers now (with its current `version`): merge and send again.",
                )
                responses[428] = _json(
                    precondition, "Precondition Required: send the `version` you read."
                )
    return schema


class TwofoldAPI(NinjaAPI):
    """django-ninja with the contract above written into its OpenAPI document.

    The document is built once per process and path prefix (~4 s of CPU on the reference
    machine for ~400 operations, which ``GET /api/openapi.json`` used to spend on every request):
    the routes are fixed when the URLconf is imported. The returned document is shared: read it,
    don't change it.
    """

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        cache: dict[str, OpenAPISchema] = self.__dict__.setdefault("_twofold_schemas", {})
        schema = cache.get(path_prefix)
        if schema is None:
            schema = document_contract(super().get_openapi_schema(path_prefix=path_prefix))
            cache[path_prefix] = schema
        return schema


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models_in(field.annotation)
    for arg in get_args(annotation):
        yield from _models_in(arg)


def schema_name_clashes(api: NinjaAPI) -> dict[str, set[str]]:
    """Schema names that two different classes share: the OpenAPI document would show only one.

    OpenAPI components are keyed by class name, so ``projects.api.MoveIn`` and
    ``capacity.api.MoveIn`` would document one operation with the other's body.
    """
    seen: dict[str, set[str]] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                models = [*operation.models, *operation.response_models.values()]
                for model in models:
                    for found in _models_in(model):
                        if not found.__module__.startswith("twofold."):
                            continue  # ninja's own wrappers (params, response) are inlined
                        where = f"{found.__module__}.{found.__qualname__}"
                        seen.setdefault(found.__name__, set()).add(where)
    return {name: where for name, where in seen.items() if len(where) > 1}
