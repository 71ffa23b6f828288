"""The OpenAPI document names each schema by its class: two classes with one name would make
one endpoint document the other's body or response (ninja silently keeps one of them)."""

from collections import defaultdict

from config.api import api


def _used_by(model, found: set) -> None:
    """`model` and every schema its fields use, recursively."""
    if not isinstance(model, type) or not hasattr(model, "model_fields") or model in found:
        return
    found.add(model)
    for field in model.model_fields.values():
        for kind in _types_in(field.annotation):
            _used_by(kind, found)


def _types_in(annotation) -> list:
    args = getattr(annotation, "__args__", None)
    if args:
        return [kind for arg in args for kind in _types_in(arg)]
    return [annotation]


def test_every_schema_in_the_openapi_document_has_its_own_name():
    found: set = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in (*operation.models, *operation.response_models.values()):
                    _used_by(model, found)
    by_name = defaultdict(set)
    for model in found:
        if model.__name__ not in {"Input", "Response"}:  # ninja's own per-operation wrappers
            by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    assert {name: places for name, places in by_name.items() if len(places) > 1} == {}
