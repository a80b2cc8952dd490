"""Every request body of the API goes through the one InputSerializer base, so an unknown key
is a 400 naming it everywhere (not only on the endpoints someone remembered to test)."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.settings import spectacular_settings
from rest_framework import serializers

from smartbook.api.serializers import InputSerializer

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def nested_serializers(serializer: serializers.Serializer):
    yield serializer
    for field in serializer.fields.values():
        if field.read_only:
            continue
        child = getattr(field, "child", field)
        if isinstance(child, serializers.Serializer):
            yield from nested_serializers(child)


def request_body_serializers() -> list[tuple[str, type]]:
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    found = []
    for path, _, method, view in generator._get_paths_and_endpoints():
        if method not in WRITE_METHODS:
            continue
        view.request = spectacular_settings.GET_MOCK_REQUEST(method, path, view, None)
        serializer = view.schema.get_request_serializer()
        if serializer is None:
            continue
        instance = serializer() if isinstance(serializer, type) else serializer
        for part in nested_serializers(instance):
            found.append((f"{method} {path}", type(part)))
    return found


@pytest.mark.django_db
def test_every_request_body_serializer_refuses_unknown_fields():
    found = request_body_serializers()
    assert len({cls for _, cls in found}) >= 10, found  # the walk found the API's bodies

    loose = sorted(
        {f"{where}: {cls.__name__}" for where, cls in found if not issubclass(cls, InputSerializer)}
    )

    assert loose == []


def test_an_unknown_key_is_named_and_a_read_only_field_counts_as_unknown():
    class Body(InputSerializer):
        name = serializers.CharField()
        id = serializers.IntegerField(read_only=True)

    body = Body(data={"name": "x", "id": 3, "colour": "red"})

    assert not body.is_valid()
    assert set(body.errors) == {"id", "colour"}
