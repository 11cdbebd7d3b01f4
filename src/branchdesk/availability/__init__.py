"""When a staff member is away (out of office, leave, training) and who covers for them meanwhile."""
