"""A staff member's notifications: what a domain tells a person (a handoff assigned, a follow-up due, a
directive to attest), kept in their branch's inbox and announced live."""
