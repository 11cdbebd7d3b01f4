"""GraphQL of the staff lifecycle: joiners, movers, leavers and the membership history."""
