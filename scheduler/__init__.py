"""Delivery and timing: the outbox sender, its pacing, periodic sweeps and the festival calendar."""
