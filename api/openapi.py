"""The OpenAPI 3.1 document of the API, made from its endpoints and the pydantic models that
validate their requests: what it says is what the server checks."""

import re
from functools import cache

from pydantic.json_schema import models_json_schema

from api import schemas
from api.app import MAX_BODY_BYTES, PREFIX, Endpoint
from api.endpoints import ENDPOINTS

_PARAMETER = re.compile(r"{(\w+)(?::(\w+))?}")
_REASONS = {
    200: "Done",
    201: "Created",
    204: "Done, nothing to return",
    400: "The body is not a JSON object",
    401: "No token, or not a valid one",
    403: "The token's user may not do this, or the token is of the other scope",
    404: "No such thing",
    409: "Changed by someone else since the expected_version was read",
    413: f"The body is larger than {MAX_BODY_BYTES // 1024} KiB",
    422: "Fields with problems: each field's message",
    429: "Too many calls with this token: wait Retry-After seconds",
}
_REF = "#/components/schemas/{model}"


@cache
def document() -> dict:
    requests = {model for e in ENDPOINTS for model in (e.body, e.query) if model is not None}
    responses = {e.response for e in ENDPOINTS if e.response is not None} | {schemas.Error, schemas.Errors}
    keys, definitions = models_json_schema(
        [(model, "validation") for model in sorted(requests, key=lambda m: m.__name__)]
        + [(model, "serialization") for model in sorted(responses, key=lambda m: m.__name__)],
        ref_template=_REF,
    )
    components = definitions.get("$defs", {})
    paths: dict[str, dict] = {}
    for endpoint in ENDPOINTS:
        path = PREFIX + _PARAMETER.sub(r"{\1}", endpoint.path)
        paths.setdefault(path, {})[endpoint.method.lower()] = _operation(endpoint, keys, components)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Sales funnel API",
            "version": "1",
            "description": "Deals, activities, pipelines, users and reports; lead intake. "
            "Every call carries `Authorization: Bearer <token>` (the API tokens page).",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"token": []}],
    }


def _operation(endpoint: Endpoint, keys: dict, components: dict) -> dict:
    operation: dict = {
        "summary": endpoint.summary,
        "operationId": endpoint.method.lower() + re.sub(r"\W+", "_", _PARAMETER.sub(r"\1", endpoint.path)).rstrip("_"),
        "parameters": _path_parameters(endpoint),
        "responses": {},
    }
    if endpoint.query is not None:
        model = components[endpoint.query.__name__]
        required = set(model.get("required", ()))
        for name, schema in model["properties"].items():
            entry = {"name": name, "in": "query", "required": name in required, "schema": schema}
            if schema.get("type") == "array":
                entry |= {"style": "form", "explode": True}
            operation["parameters"].append(entry)
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": keys[(endpoint.body, "validation")]}},
        }
    if endpoint.response is None:
        operation["responses"][str(endpoint.status)] = {"description": _REASONS[endpoint.status]}
    else:
        schema = keys[(endpoint.response, "serialization")]
        content = {"type": "array", "items": schema} if endpoint.many else schema
        operation["responses"][str(endpoint.status)] = {
            "description": _REASONS[endpoint.status],
            "content": {"application/json": {"schema": content}},
        }
    for status in endpoint.errors:
        model = schemas.Errors if status in (400, 422) else schemas.Error
        operation["responses"][str(status)] = {
            "description": _REASONS[status],
            "content": {"application/json": {"schema": keys[(model, "serialization")]}},
        }
    return operation


def _path_parameters(endpoint: Endpoint) -> list[dict]:
    parameters = []
    for name, kind in _PARAMETER.findall(endpoint.path):
        schema: dict = {"type": "integer"} if kind == "int" else {"type": "string"}
        if name in endpoint.path_values:
            schema["enum"] = list(endpoint.path_values[name])
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters
