"""The base of every request-body serializer of the API."""

from collections.abc import Mapping

from rest_framework import serializers


class InputSerializer(serializers.Serializer):
    """A request body: a key the endpoint does not accept is a 400 naming it.

    DRF drops unknown keys silently, so a client sending `"price": "0.00"` would believe it
    set a price. `refused_fields` are keys a client may plausibly try (they exist on the
    resource but are not theirs to set); they get `refused_message` instead of the generic one.
    """

    refused_fields: tuple[str, ...] = ()
    refused_message = "This cannot be set here."
    unknown_message = "Unknown field: this request does not accept it."

    def to_internal_value(self, data):
        unknown = self._unknown_fields(data)
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**exc.detail, **unknown}) from exc
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value

    def _unknown_fields(self, data) -> dict[str, list[str]]:
        if not isinstance(data, Mapping):
            return {}
        accepted = {name for name, field in self.fields.items() if not field.read_only}
        return {
            str(key): [self.refused_message if key in self.refused_fields else self.unknown_message]
            for key in data
            if key not in accepted
        }
