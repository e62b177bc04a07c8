"""OpenTelemetry's OTLP/HTTP (POST /v1/traces): spans of model calls become usage events.

bodies.py reads the request (media type, content coding, protobuf or OTLP/JSON),
conventions.py translates GenAI spans into the ingest service's events, encoding.py answers
in the request's encoding, views.py ties them to the one ingest service.
"""
