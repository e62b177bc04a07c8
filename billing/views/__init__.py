"""Dashboard pages of billing, one module per page."""
