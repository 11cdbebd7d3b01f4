"""Head-office directives (总行通知与指令): published once to the branches they target, attested "read and
understood" by the roles they name, by a deadline; corrected only by a superseding version."""
