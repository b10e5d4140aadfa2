"""Alerts: events from syncs, rendered and delivered through apprise via an outbox in DuckDB.

events.py     typed AlertEvents from a sync's changes (pure)
render.py     text, Markdown, HTML and JSON messages from events (pure)
attention.py  a profile's failure streaks: "needs attention" once, "recovered" once
outbox.py     the outbox table: enqueue with the change, claim, mark sent or failed
record.py     the sync hook: events of one sync into the outbox, in the sync's transaction
channels.py   alert channels: add, list, remove, mask their URLs' secrets
deliver.py    send what the outbox holds through apprise and record how it went

Only channels.py and deliver.py import apprise, so a sync that records events does not.
"""
