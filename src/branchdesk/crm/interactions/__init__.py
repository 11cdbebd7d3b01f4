"""Interactions: the client timeline (calls, visits, messages, meetings, notes)."""
