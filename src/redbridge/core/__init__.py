"""The thin shared core: database, ids, clock, errors, security, limits, jobs, events, i18n."""
