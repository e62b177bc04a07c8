from rest_framework import serializers

from usage.models import UsageEvent


class UsageEventSerializer(serializers.ModelSerializer):
    """One stored event read back. `input_tokens` is echoed as the client reported it (in
    its provider's convention), so `prompt_tokens` gives the whole prompt for every
    provider: `total_tokens == prompt_tokens + output_tokens`."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    client_event_id = serializers.CharField(read_only=True)
    prompt_tokens = serializers.SerializerMethodField(
        help_text="The whole prompt: uncached_input_tokens + cache_read_tokens + "
        "cache_write_tokens (input_tokens as reported leaves the cache out for Anthropic)."
    )

    def get_prompt_tokens(self, event: UsageEvent) -> int:
        return event.uncached_input_tokens + event.cache_read_tokens + event.cache_write_tokens

    class Meta:
        model = UsageEvent
        fields = [
            "id",
            "client_event_id",
            "occurred_at",
            "received_at",
            "provider",
            "model",
            "input_tokens",
            "output_tokens",
            "cache_read_tokens",
            "cache_write_tokens",
            "reasoning_tokens",
            "uncached_input_tokens",
            "prompt_tokens",
            "total_tokens",
            "input_cost",
            "cache_read_cost",
            "cache_write_cost",
            "output_cost",
            "reasoning_cost",
            "total_cost",
            "currency",
            "cost_source",
            "reported_amount",
            "reported_currency",
            "latency_ms",
            "success",
            "quality_score",
            "status",
            "status_code",
            "error_message",
            "cache_hit",
            "platform",
            "use_case",
            "endpoint",
            "project",
            "session_id",
            "developer_id",
            "tenant_id",
            "metadata",
        ]
        read_only_fields = fields
