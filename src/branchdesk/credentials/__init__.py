"""Credentials of staff identities: activation codes, password changes, sessions and own contact details."""
