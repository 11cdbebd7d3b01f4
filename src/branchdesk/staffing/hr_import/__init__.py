"""The HR feed (``branchdesk staff import FILE.csv``): the bank's HR system says who works in which
branch with which roles; the import makes the branches it covers agree, through the staffing rules."""
