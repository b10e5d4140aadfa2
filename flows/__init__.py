"""Prefect flows: orchestration only; every piece of logic lives in `tracker`."""
