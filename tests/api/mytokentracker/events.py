"""What the POST /api/v1/events tests send."""

URL = "/api/v1/events"


def event(**fields):
    return {
        "provider": "openai",
        "model": "gpt-4o",
        "input_tokens": 10,
        "output_tokens": 5,
        **fields,
    }
