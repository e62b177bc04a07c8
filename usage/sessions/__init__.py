"""Session summaries: one row per (organization, livemode, session_id) with the session's
sums, kept by ingest through append-only deltas and a merge (like the hourly rollups), so
the sessions list reads one row per session instead of every event of the window."""
