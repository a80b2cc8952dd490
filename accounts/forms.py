"""Web sign-up's own field: the visitor's time zone, as their browser reports it."""

from django import forms

from accounts.models import _timezone_names


class SignupZoneForm(forms.Form):
    """allauth's sign-up form gains a hidden `timezone`, filled by our page script
    (static/js/browser_zone.js) from the browser's own zone. Only a name of the zone list
    is taken; anything else (no script, an old browser, a forged value) leaves the
    account's default, which the profile page then offers to change."""

    timezone = forms.CharField(
        required=False, max_length=64, widget=forms.HiddenInput(attrs={"data-browser-zone": ""})
    )

    def clean_timezone(self) -> str:
        name = self.cleaned_data.get("timezone", "").strip()
        return name if name in _timezone_names() else ""

    def signup(self, request, user) -> None:
        """allauth's hook, called once the user is saved."""
        zone = self.cleaned_data.get("timezone")
        if zone and zone != user.timezone:
            user.timezone = zone
            user.save(update_fields=["timezone"])
