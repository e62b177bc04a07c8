"""Stripe's webhook door: POST /api/stripe/webhook (issue 17)."""
