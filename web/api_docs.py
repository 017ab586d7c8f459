"""The API's documentation as a page: the OpenAPI document rendered on the server.

No script and nothing from a CDN (the pages' Content-Security-Policy allows neither):
each endpoint with its parameters and answers, each schema with its fields, all read
from :func:`web.openapi.openapi_document`, so the page cannot drift from the document.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Endpoint", "Field", "Schema", "describe", "type_text"]


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    description: str
    #: The schema this field is (or is a list of), to link to.
    ref: str = ""


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    summary: str
    parameters: list[Field]
    #: (status, description, schema name or "").
    responses: list[tuple[str, str, str]]

    @property
    def anchor(self) -> str:
        return "op-" + "".join(c if c.isalnum() else "-" for c in self.path).strip("-")


@dataclass(frozen=True)
class Schema:
    name: str
    description: str
    fields: list[Field]


def _ref_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref") or ""
    return str(ref).rsplit("/", 1)[-1] if ref else ""


def type_text(schema: dict[str, Any]) -> str:
    """A schema in a few words: "integer, 1 to 100, default 10", "list of string"."""
    if "$ref" in schema:
        return _ref_name(schema)
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join("null" if k == "null" else str(k) for k in kind)
    if kind == "array":
        text = "list of " + type_text(schema.get("items") or {})
    elif kind == "object" and "properties" in schema:
        text = "object"
    else:
        text = str(kind)
    parts = [text]
    if "enum" in schema:
        parts.append("one of " + ", ".join(str(v) for v in schema["enum"]))
    if "minimum" in schema and "maximum" in schema:
        parts.append(f"{schema['minimum']:,} to {schema['maximum']:,}")
    elif "minimum" in schema:
        parts.append(f"at least {schema['minimum']:,}")
    if "maxLength" in schema:
        parts.append(f"at most {schema['maxLength']:,} characters")
    if "maxItems" in schema:
        parts.append(f"at most {schema['maxItems']:,} values")
    if "format" in schema:
        parts.append(str(schema["format"]))
    if "default" in schema:
        parts.append(f"default {schema['default']}")
    return ", ".join(parts)


def _fields(schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required") or [])
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        out.append(
            Field(
                name=name,
                type=type_text(sub),
                required=name in required,
                description=str(sub.get("description") or ""),
                ref=_ref_name(sub),
            )
        )
    return out


def describe(doc: dict[str, Any]) -> tuple[list[Endpoint], list[Schema]]:
    """The endpoints and schemas of an OpenAPI document, ready to show."""
    endpoints = []
    for path, methods in doc.get("paths", {}).items():
        for method, op in methods.items():
            params = [
                Field(
                    name=p["name"] + (" (in the path)" if p.get("in") == "path" else ""),
                    type=type_text(p.get("schema") or {}),
                    required=bool(p.get("required")),
                    description=" ".join(
                        str(d)
                        for d in (p.get("description"), (p.get("schema") or {}).get("description"))
                        if d
                    ),
                )
                for p in op.get("parameters", [])
            ]
            responses = []
            for status, r in op.get("responses", {}).items():
                content: dict[str, Any] = r.get("content") or {}
                first: dict[str, Any] = next(iter(content.values()), {})
                schema: dict[str, Any] = first.get("schema") or {}
                responses.append((status, str(r.get("description") or ""), _ref_name(schema)))
            endpoints.append(
                Endpoint(method.upper(), path, str(op.get("summary") or ""), params, responses)
            )
    schemas = [
        Schema(name, str(s.get("description") or ""), _fields(s))
        for name, s in doc.get("components", {}).get("schemas", {}).items()
    ]
    return endpoints, schemas
