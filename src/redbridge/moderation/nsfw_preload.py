"""Imported by the image workers' forkserver (``media.workers``) when the NSFW model is on: loads
the model there once, so every worker process forked from it starts with the session built (one
intra-op thread, so the forkserver has no thread pool for a fork to break)."""

from redbridge.moderation.images import warm

warm()
