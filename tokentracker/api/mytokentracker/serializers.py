from rest_framework import serializers

from usage.models import UsageEvent


class UsageEventSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    client_event_id = serializers.CharField(read_only=True)

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
