"""Users, roles, authentication, profile, email tokens and the audit log."""
