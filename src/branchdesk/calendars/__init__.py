"""The business calendar: head-office holidays and make-up working days, branch closures, and the
arithmetic of working days and business hours in a branch's time zone (``calculator``)."""
