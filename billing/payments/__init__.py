"""Stripe: the one configured client, and the translation of its objects into ours."""
