"""Hand-written asyncio implementation; ``_sync`` is generated from it."""
