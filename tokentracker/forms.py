"""Forms of the account and team pages: input parsing only, the rules are in services."""

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm

from .currencies import currency_choices
from .keys import KEY_PREFIXES
from .models import (
    EVENT_RETENTION_MAX_DAYS,
    EVENT_RETENTION_MIN_DAYS,
    ApiKeyScope,
    AuditAction,
    Organization,
    QualityScale,
    Role,
)
from .selectors import user_by_address
from .tag_keys import MAX_TAG_KEYS, tag_keys_parse, tag_keys_problems
from .time_zones import time_zone_names


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="Days, hours and date presets of the dashboard pages follow it. The APIs "
        "always answer in UTC.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name) for name in time_zone_names()]


class DashboardForm(forms.Form):
    """Labels without Django's trailing colon; the layout sets them above their fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


# The address becomes the username, which Django caps at 150 characters.
EMAIL_MAX_LENGTH = 150


class LoginForm(AuthenticationForm):
    """Sign-up stores addresses lower-case as usernames; accept them typed in any case."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username and "@" in username:
            self.cleaned_data["username"] = username.strip().lower()
        return super().clean()


class OrganizationForm(DashboardForm):
    name = forms.CharField(max_length=200, label="Organization name")


class PasswordSetMixin(DashboardForm):
    """A chosen password, checked by the project's password validators."""

    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        password_validation.validate_password(password)
        return password


class SignUpForm(PasswordSetMixin):
    field_order = ["name", "email", "password", "organization_name"]

    name = forms.CharField(max_length=150, label="Your name")
    email = forms.EmailField(
        max_length=EMAIL_MAX_LENGTH, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    organization_name = forms.CharField(max_length=200, label="Organization name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if user_by_address(email) is not None:
            raise forms.ValidationError("An account with this email exists: sign in instead.")
        return email


class InvitationSignUpForm(PasswordSetMixin):
    field_order = ["name", "password"]

    name = forms.CharField(max_length=150, label="Your name")


class InvitationForm(DashboardForm):
    email = forms.EmailField(max_length=EMAIL_MAX_LENGTH)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)


class RoleForm(DashboardForm):
    role = forms.ChoiceField(choices=Role.choices)


# Each family is the prefix a product's clients expect; carbon-llm's has test and live keys.
PREFIX_CHOICES = [
    ("mtt_", "mtt_ (MyTokenTracker, live)"),
    ("tw_api_", "tw_api_ (Tokenwise, live)"),
    ("isv_live_sk_", "isv_live_sk_ (carbon-llm, live)"),
    ("isv_test_sk_", "isv_test_sk_ (carbon-llm, test: not counted against the live quota)"),
]
assert {prefix for prefix, _ in PREFIX_CHOICES} == set(KEY_PREFIXES)


class ApiKeyForm(DashboardForm):
    name = forms.CharField(max_length=100, help_text="Where the key is used, e.g. CI or laptop.")
    prefix = forms.ChoiceField(choices=PREFIX_CHOICES, label="Key family", initial="mtt_")
    scope = forms.ChoiceField(choices=ApiKeyScope.choices, initial=ApiKeyScope.WRITE)


class OrganizationSettingsForm(forms.Form):
    payload_storage_enabled = forms.BooleanField(
        required=False,
        label="Store request and response payloads",
        help_text=Organization._meta.get_field("payload_storage_enabled").help_text,
    )
    community_data_opt_in = forms.BooleanField(
        required=False,
        label="Contribute to the community dataset",
        help_text=Organization._meta.get_field("community_data_opt_in").help_text,
    )
    quality_scale = forms.ChoiceField(
        required=False,
        choices=QualityScale.choices,
        label="Quality score scale",
        help_text=Organization._meta.get_field("quality_scale").help_text,
    )
    reporting_currency = forms.ChoiceField(
        choices=currency_choices,
        required=False,  # left out: unchanged
        label="Reporting currency",
        help_text=(
            "Every cost is shown and summed in this currency. Costs reported in another "
            "currency, and the catalog's USD prices, are converted at the ECB reference rate "
            "of their day; a cost whose day has no rate is shown apart as unconverted. "
            "Changing it converts every recorded event again and rebuilds the totals, in "
            "the background: for a large organization the figures settle after a few "
            "minutes."
        ),
    )

    event_retention_days = forms.IntegerField(
        required=False,  # empty: keep every event
        min_value=EVENT_RETENTION_MIN_DAYS,
        max_value=EVENT_RETENTION_MAX_DAYS,
        label="Keep raw events for (days)",
        help_text=(
            f"From {EVENT_RETENTION_MIN_DAYS} to {EVENT_RETENTION_MAX_DAYS} days; empty keeps "
            "every event. Older events, and the request and response bodies stored with them, "
            "are deleted every night and cannot be brought back."
        ),
        widget=forms.NumberInput(attrs={"placeholder": "Keep every event"}),
    )

    tag_keys = forms.CharField(
        required=False,
        max_length=300,
        label="Explorer tags",
        help_text=(
            f"Up to {MAX_TAG_KEYS} metadata keys, separated by commas (e.g. region, feature): "
            "the explorer breaks usage down and filters by their values. The values of each "
            "key beyond its first 50 are summed as “Other”. A change recounts the tags from "
            "the raw events kept, in the background."
        ),
        widget=forms.TextInput(attrs={"placeholder": "region, feature"}),
    )

    @property
    def tag_keys_posted(self) -> bool:
        """Whether the tags field was sent: left out of a POST, the keys are unchanged."""
        return "tag_keys" in self.data

    def clean_tag_keys(self) -> list[str]:
        keys = tag_keys_parse(self.cleaned_data["tag_keys"] or "")
        problems = tag_keys_problems(keys)
        if problems:
            raise forms.ValidationError(problems)
        return keys

    @property
    def retention_posted(self) -> bool:
        """Whether the retention field was sent: left out of a POST, it is unchanged (an
        empty one means keep every event)."""
        return "event_retention_days" in self.data

    def clean_quality_scale(self) -> str | None:
        # "" is a choice (not set), so only a field left out of the POST keeps the scale.
        return self.cleaned_data["quality_scale"] if "quality_scale" in self.data else None

    def clean_reporting_currency(self) -> str | None:
        return self.cleaned_data["reporting_currency"] or None


class OrganizationDeleteForm(DashboardForm):
    confirmation = forms.CharField(
        max_length=64,
        label="Type the organization's slug to confirm",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class AuditLogFilterForm(forms.Form):
    action = forms.ChoiceField(
        required=False, choices=[("", "Every action"), *AuditAction.choices], label="Action"
    )
