"""The head-office product catalogue, clients' holdings fed from core banking, the feed's exchange rates
and each client's AUM kept current by the feed."""
