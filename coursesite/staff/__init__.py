"""Staff pages under ``/staff``: access grants, the audit log, and the back office later issues add.

The package sits at the top of the dependency order: it may use every feature package's services, and nothing
imports it but ``create_app``. Each page is marked with the right it needs (``coursesite.permissions``); the rules
the pages apply stay with the package that owns the data (granting access is billing's, the audit log accounts').
"""
