"""Institutions and teaching groups: seat licences, invitations by email or CSV, and their dashboards."""
