"""Trust and safety, the people's side: reports, the review queue, moderators' decisions, the audit
log and roles (docs/moderation.md, "Reports, queue and decisions" and "Audit log and roles")."""
