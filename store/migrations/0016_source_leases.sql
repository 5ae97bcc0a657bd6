-- Claims (store/fetchstate.go, ClaimDue): a process about to fetch a due
-- source marks it taken until lease_until (Unix seconds), so replicas on
-- one database, or a cron refresh beside the daemon, never fetch a
-- source twice in one interval. Saving the fetch's state clears the
-- claim; a process that dies mid-fetch leaves it to run out.
ALTER TABLE sources ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE sources ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
