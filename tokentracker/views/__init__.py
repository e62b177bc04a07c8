"""Dashboard pages of accounts and teams. Every organization page goes through
`tokentracker.pages.organization_page`; the views only parse forms, call services and
render."""
