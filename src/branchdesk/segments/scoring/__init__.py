"""Value tiers, RFM scores and lifecycle stages, recomputed per branch with set-based SQL."""
