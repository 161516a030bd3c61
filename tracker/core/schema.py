"""The OpenAPI schema tells the truth about errors: every operation documents the answers in the one error
shape (tracker/core/rest.py) it can give, so clients and schemathesis know them."""

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "fields"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "The inputs at fault, each with its problems.",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        }
    },
}
EVERY_OPERATION = {
    "400": "The input is refused; `fields` names what is wrong.",
    "401": "No valid credentials: sign in or send `Authorization: Token <key>`.",
    "403": "Signed in, but the role may not do this (or a second factor is needed).",
    "414": "The URL is too long.",
    "429": "Too many attempts; try again later.",
}
WITH_PATH_PARAMETERS = {"404": "No such record, or not one the caller may see."}
WRITES = {"409": "The record is not in a state that allows this."}
WITH_BODY = {
    "413": "The request body is too large.",
    "415": "The body's content type is not accepted.",
}


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing hook: add the error answers to every operation, and say that request
    bodies take no field beyond those listed (tracker/core/inputs.py refuses them)."""
    components = result.setdefault("components", {}).setdefault("schemas", {})
    for name in _request_components(result):
        components[name]["additionalProperties"] = False
    _empty_filter_values_mean_unfiltered(result)
    components["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            errors = dict(EVERY_OPERATION)
            if "{" in path:
                errors |= WITH_PATH_PARAMETERS
            if method in {"post", "put", "patch", "delete"}:
                errors |= WRITES
            if "requestBody" in operation:
                errors |= WITH_BODY
            for status, description in errors.items():
                response = operation["responses"].setdefault(status, {"description": description})
                response.setdefault("content", reference)  # an error documented by a view says its shape too
    return result


def _request_components(result) -> set[str]:
    names = set()
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                reference = media.get("schema", {}).get("$ref", "")
                if reference.startswith("#/components/schemas/"):
                    names.add(reference.rsplit("/", 1)[1])
    return names


def _empty_filter_values_mean_unfiltered(result) -> None:
    """`?logged_before=` (as a filter form sends it) means "not filtered", and `?page_size=` the default: say so
    for every query parameter with a type, a format or a choice."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                typed = schema.get("format") or schema.get("enum") or schema.get("type") != "string"
                if parameter.get("in") == "query" and typed and "anyOf" not in schema:
                    parameter["schema"] = {"anyOf": [schema, {"type": "string", "enum": [""]}]}
