"""Integrations for the sync tests, made as the integrations service stores them."""

from billing.models import ProviderIntegration
from tests.provider_servers import ANTHROPIC_KEY, OPENAI_KEY
from tokentracker.crypto import field_encrypt

KEYS = {"openai": OPENAI_KEY, "anthropic": ANTHROPIC_KEY}


def integration_make(organization, provider: str, key: str | None = None, **fields):
    key = key or KEYS[provider]
    return ProviderIntegration.objects.create(
        organization=organization,
        provider=provider,
        key_ciphertext=field_encrypt(key),
        key_last_four=key[-4:],
        **fields,
    )
